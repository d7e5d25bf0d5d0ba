package dev.hearth.node.session;

import dev.hearth.protocol.CheckpointManifests;
import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.wire.CheckpointManifest;
import dev.hearth.protocol.wire.Chunk;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.BitSet;

/// A resumable, verified checkpoint download: chunks land in a `.part` file at their offsets; each is
/// checked against the manifest's SHA-256 before it counts; the whole is checked at the end. A node that
/// reconnects mid-download re-verifies what it already has and asks only for the rest.
public final class CheckpointDownload {

    /// 2 GiB: a `small` checkpoint is 44 MB; a manifest claiming more is hostile or broken, not a bigger model.
    public static final long MAX_CHECKPOINT_BYTES = 2L << 30;
    /// Chunks requested ahead of the ones received: keeps the pipe full without flooding the coordinator.
    public static final int REQUEST_WINDOW = 4;

    private final CheckpointManifest manifest;
    private final Path partFile;
    private final int chunks;
    private final BitSet have;
    private final BitSet requested = new BitSet();

    private CheckpointDownload(CheckpointManifest manifest, Path partFile, BitSet have) {
        this.manifest = manifest;
        this.partFile = partFile;
        this.chunks = manifest.getChunkSha256Count();
        this.have = have;
    }

    /// Starts or resumes the download of `manifest` into `dir`.
    /// @throws IOException when the manifest is inconsistent (sizes, chunk count) or the disk fails
    public static CheckpointDownload start(CheckpointManifest manifest, Path dir) throws IOException {
        try {
            CheckpointManifests.validate(manifest, MAX_CHECKPOINT_BYTES);
        } catch (IllegalArgumentException e) {
            throw new IOException("the coordinator's checkpoint manifest is unusable: " + e.getMessage(), e);
        }
        long total = manifest.getTotalBytes();
        int chunkSize = manifest.getChunkSize();
        long expectedChunks = manifest.getChunkSha256Count();
        Files.createDirectories(dir);
        Path part = dir.resolve("checkpoint-" + manifest.getVersion() + "-"
                + Fingerprints.hex(manifest.getSha256().toByteArray()).substring(0, 16) + ".part");
        BitSet have = new BitSet((int) expectedChunks);
        if (Files.exists(part) && Files.size(part) == total) {
            try (RandomAccessFile f = new RandomAccessFile(part.toFile(), "r")) {
                byte[] buf = new byte[chunkSize];
                for (int i = 0; i < expectedChunks; i++) {
                    int len = CheckpointManifests.chunkLength(manifest, i);
                    f.seek((long) i * chunkSize);
                    f.readFully(buf, 0, len);
                    if (Arrays.equals(sha256(buf, len), manifest.getChunkSha256(i).toByteArray())) have.set(i);
                }
            }
        } else {
            try (RandomAccessFile f = new RandomAccessFile(part.toFile(), "rw")) {
                f.setLength(total);
            }
        }
        return new CheckpointDownload(manifest, part, have);
    }

    public long version() {
        return manifest.getVersion();
    }

    public CheckpointManifest manifest() {
        return manifest;
    }

    /// Chunk indexes to request now (keeps at most {@link #REQUEST_WINDOW} outstanding).
    public int[] nextRequests() {
        int outstanding = 0;
        for (int i = requested.nextSetBit(0); i >= 0; i = requested.nextSetBit(i + 1)) {
            if (!have.get(i)) outstanding++;
        }
        int room = REQUEST_WINDOW - outstanding;
        int[] out = new int[Math.max(0, room)];
        int n = 0;
        for (int i = have.nextClearBit(0); i < chunks && n < out.length; i = have.nextClearBit(i + 1)) {
            if (!requested.get(i)) {
                requested.set(i);
                out[n++] = i;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /// Forget outstanding requests (after a reconnect): they will be asked again.
    public void resetRequests() {
        requested.clear();
    }

    /// Stores a chunk if it verifies.
    /// @throws IOException when the chunk does not belong here or fails its hash (the caller re-requests it)
    public void accept(Chunk chunk) throws IOException {
        int i = chunk.getIndex();
        try {
            CheckpointManifests.verifyChunk(manifest, chunk); // version, index, length and SHA-256
        } catch (IllegalArgumentException e) {
            if (i >= 0 && i < chunks) requested.clear(i);
            throw new IOException("chunk " + i + " rejected: " + e.getMessage(), e);
        }
        byte[] data = chunk.getData().toByteArray();
        try (RandomAccessFile f = new RandomAccessFile(partFile.toFile(), "rw")) {
            f.seek((long) i * manifest.getChunkSize());
            f.write(data);
        }
        have.set(i);
    }

    public boolean complete() {
        return have.cardinality() == chunks;
    }

    /// 0..1
    public double progress() {
        return chunks == 0 ? 1 : (double) have.cardinality() / chunks;
    }

    /// The whole checkpoint, verified; the part file is removed.
    /// @throws IOException when the whole-file hash does not match (the part file is removed: start over)
    public byte[] finish() throws IOException {
        byte[] all = Files.readAllBytes(partFile);
        Files.deleteIfExists(partFile);
        if (!Arrays.equals(sha256(all, all.length), manifest.getSha256().toByteArray())) {
            throw new IOException("the downloaded checkpoint failed its SHA-256 check; downloading it again");
        }
        return all;
    }

    private static byte[] sha256(byte[] data, int len) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(data, 0, len);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
