package dev.hearth.node.session;

import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.wire.CommitChunk;
import dev.hearth.protocol.wire.CommitChunkRequest;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.StoredCommit;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/// Fetches the bytes of one stored commit a catch-up names (issue 17): by its presigned URL from object storage, or,
/// when it has none (`[storage] kind = "local"`), from the coordinator in `CommitChunk`s of at most 1 MiB, asked one
/// after the other as a checkpoint's chunks are. The caller checks the bytes against the commit's SHA-256.
///
/// Node thread only (the coordinator path); one coordinator fetch at a time, a new one replacing the last.
final class StoredCommitFetch {

    private final StorageFetch storage;
    private final Predicate<Envelope> send;
    /// The fetch from the coordinator in progress, or null.
    private Pending pending;

    private static final class Pending {
        final StoredCommit ref;
        final byte[] bytes;
        final CompletableFuture<byte[]> done = new CompletableFuture<>();
        int received;

        Pending(StoredCommit ref) {
            this.ref = ref;
            this.bytes = new byte[(int) ref.getBytes()];
        }
    }

    /// @param send sends an envelope to the coordinator; false when the node is not connected
    StoredCommitFetch(StorageFetch storage, Predicate<Envelope> send) {
        this.storage = storage;
        this.send = send;
    }

    /// Where `ref`'s bytes come from, for the log: "storage" or "the coordinator".
    static String source(StoredCommit ref) {
        return ref.getUrl().isEmpty() ? "the coordinator" : "storage";
    }

    /// The commit's `ref.getBytes()` bytes (the caller has checked that size against its cap).
    CompletableFuture<byte[]> fetch(StoredCommit ref) {
        if (!ref.getUrl().isEmpty()) return storage.range(ref.getUrl(), 0, (int) ref.getBytes(), ref.getBytes());
        if (pending != null) pending.done.cancel(false);
        pending = new Pending(ref);
        CompletableFuture<byte[]> done = pending.done;
        requestNext(pending);
        return done;
    }

    /// The round's commit announced by reference (`live_commit`: too large for a RoundCommit frame): fetched, its
    /// bytes checked against the SHA-256 and decoded as the RoundCommit of the announced version. Completes
    /// exceptionally with the reason when any of that fails.
    CompletableFuture<dev.hearth.protocol.wire.RoundCommit> fetchCommit(StoredCommit ref) {
        if (ref.getBytes() < 1 || ref.getBytes() > ProtocolLimits.MAX_STORED_COMMIT_BYTES) {
            return CompletableFuture.failedFuture(new IOException("it is announced as " + ref.getBytes()
                    + " bytes; at most " + ProtocolLimits.MAX_STORED_COMMIT_BYTES + " are accepted"));
        }
        return fetch(ref).thenApply(bytes -> {
            if (!java.util.Arrays.equals(dev.hearth.protocol.Fingerprints.sha256(bytes), ref.getSha256().toByteArray())) {
                throw new java.util.concurrent.CompletionException(new IOException("its " + bytes.length
                        + " bytes do not match its SHA-256"));
            }
            try {
                var c = dev.hearth.protocol.wire.RoundCommit.parseFrom(bytes);
                if (c.getNewVersion() != ref.getVersion()) {
                    throw new IOException("it says version " + c.getNewVersion());
                }
                return c;
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    /// A `CommitChunk` from the coordinator: the next bytes of the fetch in progress, or one that is not asked for.
    void onChunk(CommitChunk c) {
        Pending p = pending;
        if (p == null || c.getVersion() != p.ref.getVersion() || c.getOffset() != p.received) return; // not asked for
        int n = c.getData().size();
        if (n == 0 || n > p.bytes.length - p.received) {
            pending = null;
            p.done.completeExceptionally(new IOException(n == 0
                    ? "the coordinator does not hold it"
                    : "the coordinator sent " + n + " bytes at offset " + p.received + " of a " + p.bytes.length
                            + "-byte commit"));
            return;
        }
        c.getData().copyTo(p.bytes, p.received);
        p.received += n;
        if (p.received == p.bytes.length) {
            pending = null;
            p.done.complete(p.bytes);
        } else {
            requestNext(p);
        }
    }

    private void requestNext(Pending p) {
        int length = Math.min(ProtocolLimits.MAX_CHUNK_DATA_BYTES, p.bytes.length - p.received);
        boolean sent = send.test(Envelope.newBuilder().setCommitChunkRequest(CommitChunkRequest.newBuilder()
                .setVersion(p.ref.getVersion()).setOffset(p.received).setLength(length)).build());
        if (!sent) {
            pending = null;
            p.done.completeExceptionally(new IOException("the node is not connected to the coordinator"));
        }
    }
}
