package dev.hearth.coordinator.storage;

import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.wire.CommitCatchUp;
import dev.hearth.protocol.wire.StoredCommit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/// Every round's commit in storage (issue 17): the encoded `RoundCommit` of each version is written once, as
/// `commits/<version>-<sha256 prefix>.commit`, to the run's bucket (`[storage] kind = "s3"`) or under the data dir
/// (`local`). A node several versions behind is handed the commits it missed ([#plan]) when their bytes are fewer
/// than the checkpoint's — by presigned URL from the bucket, or on `local` storage served by this coordinator in
/// chunks ([#chunk]) — and applies them as it applies a live commit.
///
/// What is kept in memory is only each object's name, size and SHA-256 (about 100 bytes per version), never the
/// commit bytes. At a coordinator start the index is rebuilt from the objects themselves ([#rebuild]): the newest
/// versions whose round is the one the ledger committed them in, as far back as a catch-up can use them.
public final class CommitLog {

    /// `<version>-<16 hex digits>.commit`: the names [#objectName] gives.
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("commits/(\\d+)-([0-9a-f]{16})\\.commit");

    /// 256 commits per catch-up: each [StoredCommit] is a presigned URL of ~0.7 KiB, so 256 stay within the
    /// `CommitCatchUp` frame's cap (256 KiB, [dev.hearth.protocol.ProtocolLimits#MAX_MANIFEST_FRAME_BYTES]); a node
    /// further behind than that is better served by the checkpoint in any case.
    public static final int MAX_CATCH_UP_COMMITS = 256;

    /// What is known of one stored commit.
    private record Entry(String name, long bytes, byte[] sha256) {
    }

    private final Path localDir;
    private final S3ObjectStore objects;
    private final NavigableMap<Long, Entry> stored = new TreeMap<>();

    /// @param localDir where commits go on `local` storage (the data dir's `commits/`)
    /// @param objects  the run's bucket, or null for `local`
    public CommitLog(Path localDir, S3ObjectStore objects) {
        this.localDir = localDir;
        this.objects = objects;
    }

    /// The object name of the commit of `version` whose encoded bytes have `sha256` (a version committed again
    /// after a rollback gets another name, so no node is handed bytes it will refuse).
    public static String objectName(long version, byte[] sha256) {
        return "commits/" + version + "-" + Fingerprints.hex(sha256).substring(0, 16) + ".commit";
    }

    /// Writes the encoded `RoundCommit` of `version` (replacing what was known of that version).
    ///
    /// @throws StorageException or [UncheckedIOException] naming the object when it cannot be written; the version
    ///                          is then not offered
    public synchronized void store(long version, byte[] encodedCommit) {
        stored.tailMap(version, true).clear(); // versions after a rolled-back one are gone with it
        byte[] sha = Fingerprints.sha256(encodedCommit);
        String name = objectName(version, sha);
        if (objects != null) {
            objects.put(name, encodedCommit);
        } else {
            Path file = localDir.resolve(name);
            try {
                Files.createDirectories(file.getParent());
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.write(tmp, encodedCommit);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write commit " + version + " to " + file + ": " + e.getMessage(), e);
            }
        }
        stored.put(version, new Entry(name, encodedCommit.length, sha));
    }

    /// The commits from `haveVersion` + 1 to `currentVersion` by presigned URL (on `local` storage without one: the
    /// node asks this coordinator for their bytes, [#chunk]), when every one of them is stored, they are at most [#MAX_CATCH_UP_COMMITS], and together they are fewer bytes than `checkpointBytes`;
    /// otherwise empty (the node is sent the checkpoint).
    public synchronized Optional<CommitCatchUp> plan(long haveVersion, long currentVersion, long checkpointBytes) {
        long missed = currentVersion - haveVersion;
        if (missed < 1 || missed > MAX_CATCH_UP_COMMITS) return Optional.empty();
        var plan = CommitCatchUp.newBuilder().setFromVersion(haveVersion).setToVersion(currentVersion)
                .setCheckpointBytes(checkpointBytes);
        long total = 0;
        for (long v = haveVersion + 1; v <= currentVersion; v++) {
            Entry e = stored.get(v);
            if (e == null) return Optional.empty();
            total += e.bytes();
            if (total >= checkpointBytes) return Optional.empty();
            plan.addCommits(StoredCommit.newBuilder().setVersion(v).setBytes(e.bytes())
                    .setSha256(com.google.protobuf.ByteString.copyFrom(e.sha256()))
                    .setUrl(objects == null ? "" : objects.presignGet(e.name()).toString()));
        }
        return Optional.of(plan.build());
    }

    /// Bytes `[offset, offset + length)` of the stored commit of `version` on `local` storage, for a node that was
    /// handed it without a URL; empty when it is not held here (another storage, a version not stored or replaced).
    ///
    /// @throws UncheckedIOException naming the file when it cannot be read
    public byte[] chunk(long version, long offset, int length) {
        Entry e;
        synchronized (this) {
            e = stored.get(version);
        }
        if (objects != null || e == null || offset < 0 || length < 1 || offset >= e.bytes()) return new byte[0];
        Path file = localDir.resolve(e.name());
        int n = (int) Math.min(length, e.bytes() - offset);
        try (var in = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(n);
            while (buf.hasRemaining()) {
                if (in.read(buf, offset + buf.position()) < 0) {
                    throw new IOException("it ends before byte " + (offset + buf.position()) + " of " + e.bytes());
                }
            }
            return buf.array();
        } catch (java.nio.file.NoSuchFileException gone) {
            return new byte[0];
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read commit " + file + ": " + ex.getMessage(), ex);
        }
    }

    /// What [#rebuild] found: `commits` versions from `fromVersion` to the run's version, `bytesRead` read back.
    public record Rebuilt(int commits, long fromVersion, long bytesRead) {
    }

    /// Rebuilds the index at a coordinator start from the stored objects (the listing of `commits/` in the bucket or
    /// under the data dir), from `currentVersion` down: each version's object is read back, hashed, parsed, and kept
    /// only when it says that version and the round `committedRounds` names for it (an object of a rolled-back
    /// version has another round). It stops at the first version without such an object, after
    /// [#MAX_CATCH_UP_COMMITS], or where the commits together would no longer be fewer bytes than
    /// `checkpointBytes` — what [#plan] could never offer is not read. So a start reads at most one checkpoint's bytes.
    ///
    /// @param committedRounds version → round id of every committed version (the ledger's)
    /// @throws StorageException or [UncheckedIOException] when the listing or an object cannot be read
    public synchronized Rebuilt rebuild(long currentVersion, long checkpointBytes, java.util.Map<Long, Long> committedRounds) {
        stored.clear();
        var byVersion = new TreeMap<Long, java.util.List<S3ObjectStore.Listed>>();
        for (S3ObjectStore.Listed o : listing()) {
            var m = NAME.matcher(o.name());
            if (m.matches()) byVersion.computeIfAbsent(Long.parseLong(m.group(1)), k -> new java.util.ArrayList<>()).add(o);
        }
        long total = 0;
        long read = 0;
        long v = currentVersion;
        for (; v >= 1 && currentVersion - v < MAX_CATCH_UP_COMMITS; v--) {
            Long round = committedRounds.get(v);
            Entry found = null;
            for (S3ObjectStore.Listed o : byVersion.getOrDefault(v, java.util.List.of())) {
                if (round == null || total + o.bytes() >= checkpointBytes) continue;
                byte[] bytes = read(o.name());
                read += bytes.length;
                byte[] sha = Fingerprints.sha256(bytes);
                if (!objectName(v, sha).equals(o.name())) continue; // altered or cut: not what was written
                try {
                    var c = dev.hearth.protocol.wire.RoundCommit.parseFrom(bytes);
                    if (c.getNewVersion() == v && c.getRound() == round) found = new Entry(o.name(), bytes.length, sha);
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    // not a commit: skipped like any other object that is not this version's
                }
                if (found != null) break;
            }
            if (found == null) break;
            total += found.bytes();
            stored.put(v, found);
        }
        return new Rebuilt(stored.size(), v + 1, read);
    }

    private java.util.List<S3ObjectStore.Listed> listing() {
        if (objects != null) return objects.list("commits/");
        Path dir = localDir.resolve("commits");
        if (!Files.isDirectory(dir)) return java.util.List.of();
        try (var files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).map(f -> {
                try {
                    return new S3ObjectStore.Listed("commits/" + f.getFileName(), Files.size(f));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private byte[] read(String name) {
        if (objects != null) return objects.get(name);
        Path file = localDir.resolve(name);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read commit " + file + ": " + e.getMessage(), e);
        }
    }

    /// The stored commit of `version` as a node is handed it (by presigned URL, or without one on `local` storage),
    /// if it is stored.
    public synchronized Optional<StoredCommit> ref(long version) {
        Entry e = stored.get(version);
        if (e == null) return Optional.empty();
        return Optional.of(StoredCommit.newBuilder().setVersion(version).setBytes(e.bytes())
                .setSha256(com.google.protobuf.ByteString.copyFrom(e.sha256()))
                .setUrl(objects == null ? "" : objects.presignGet(e.name()).toString()).build());
    }

    /// The object name stored for `version`, if any (tests alter it in the bucket).
    public synchronized Optional<String> name(long version) {
        return Optional.ofNullable(stored.get(version)).map(Entry::name);
    }
}
