package dev.hearth.protocol;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.wire.CheckpointManifest;
import dev.hearth.protocol.wire.Chunk;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/// Builds and checks checkpoint manifests, so both sides agree on chunking: chunk `i` covers bytes
/// `[i · chunk_size, min((i+1) · chunk_size, total_bytes))`, and its SHA-256 is `chunk_sha256[i]`.
/// A node checks a manifest with [#validate] *before* allocating or fetching anything, then each chunk with
/// [#verifyChunk] as it arrives; chunks it already holds and that verify need not be fetched again (resume).
public final class CheckpointManifests {
    /// 1 MiB: the chunk size a coordinator should use, the largest a frame carries ([ProtocolLimits#MAX_CHUNK_DATA_BYTES]).
    public static final int DEFAULT_CHUNK_SIZE = ProtocolLimits.MAX_CHUNK_DATA_BYTES;
    /// 64 KiB read buffer while hashing a checkpoint file.
    private static final int READ_BUFFER_BYTES = 64 * 1024;

    private CheckpointManifests() {
    }

    /// Hashes `file` in chunks of `chunkSize` bytes (streaming; the file is never held in memory).
    public static CheckpointManifest build(long version, Path file, int chunkSize) throws IOException {
        checkChunkSize(chunkSize);
        CheckpointManifest.Builder manifest = CheckpointManifest.newBuilder().setVersion(version)
                .setChunkSize(chunkSize);
        MessageDigest whole = sha256();
        MessageDigest chunk = sha256();
        long total = 0;
        long inChunk = 0;
        byte[] buffer = new byte[READ_BUFFER_BYTES];
        try (InputStream in = Files.newInputStream(file)) {
            int read;
            while ((read = in.read(buffer)) > 0) {
                int offset = 0;
                while (offset < read) {
                    int take = (int) Math.min(read - offset, chunkSize - inChunk);
                    whole.update(buffer, offset, take);
                    chunk.update(buffer, offset, take);
                    offset += take;
                    inChunk += take;
                    total += take;
                    if (inChunk == chunkSize) {
                        manifest.addChunkSha256(ByteString.copyFrom(chunk.digest()));
                        inChunk = 0;
                    }
                }
            }
        }
        if (inChunk > 0) {
            manifest.addChunkSha256(ByteString.copyFrom(chunk.digest()));
        }
        return manifest.setTotalBytes(total).setSha256(ByteString.copyFrom(whole.digest())).build();
    }

    /// Checks that a manifest is self-consistent and within `maxTotalBytes`, before anything is allocated.
    ///
    /// @throws IllegalArgumentException naming the inconsistency
    public static void validate(CheckpointManifest manifest, long maxTotalBytes) {
        checkChunkSize(manifest.getChunkSize());
        if (manifest.getTotalBytes() < 0 || manifest.getTotalBytes() > maxTotalBytes) {
            throw new IllegalArgumentException("checkpoint of " + Long.toUnsignedString(manifest.getTotalBytes())
                    + " bytes exceeds the limit of " + maxTotalBytes + " bytes");
        }
        long expectedChunks = chunkCount(manifest.getTotalBytes(), manifest.getChunkSize());
        if (manifest.getChunkSha256Count() != expectedChunks) {
            throw new IllegalArgumentException("manifest lists " + manifest.getChunkSha256Count() + " chunk hashes but "
                    + manifest.getTotalBytes() + " bytes in chunks of " + manifest.getChunkSize() + " make "
                    + expectedChunks);
        }
        for (int i = 0; i < manifest.getChunkSha256Count(); i++) {
            if (manifest.getChunkSha256(i).size() != Fingerprints.SHA256_BYTES) {
                throw new IllegalArgumentException("chunk hash " + i + " has " + manifest.getChunkSha256(i).size()
                        + " bytes, a SHA-256 has 32");
            }
        }
        if (manifest.getSha256().size() != Fingerprints.SHA256_BYTES) {
            throw new IllegalArgumentException("the checkpoint hash has " + manifest.getSha256().size()
                    + " bytes, a SHA-256 has 32");
        }
    }

    /// Number of chunks for `totalBytes` at `chunkSize`.
    public static long chunkCount(long totalBytes, int chunkSize) {
        return (totalBytes + chunkSize - 1) / chunkSize;
    }

    /// Length in bytes of chunk `index` of a (validated) manifest.
    public static int chunkLength(CheckpointManifest manifest, int index) {
        if (index < 0 || index >= manifest.getChunkSha256Count()) {
            throw new IllegalArgumentException("chunk index " + index + " is outside 0.."
                    + (manifest.getChunkSha256Count() - 1));
        }
        long start = (long) index * manifest.getChunkSize();
        return (int) Math.min(manifest.getChunkSize(), manifest.getTotalBytes() - start);
    }

    /// Checks a received chunk against a (validated) manifest: version, index, length and SHA-256.
    ///
    /// @throws IllegalArgumentException naming what does not match
    public static void verifyChunk(CheckpointManifest manifest, Chunk chunk) {
        if (chunk.getVersion() != manifest.getVersion()) {
            throw new IllegalArgumentException("chunk is of version " + chunk.getVersion() + ", the manifest of "
                    + manifest.getVersion());
        }
        int expectedLength = chunkLength(manifest, chunk.getIndex());
        if (chunk.getData().size() != expectedLength) {
            throw new IllegalArgumentException("chunk " + chunk.getIndex() + " has " + chunk.getData().size()
                    + " bytes, expected " + expectedLength);
        }
        byte[] actual = Fingerprints.sha256(chunk.getData().toByteArray());
        if (!Arrays.equals(actual, manifest.getChunkSha256(chunk.getIndex()).toByteArray())) {
            throw new IllegalArgumentException("chunk " + chunk.getIndex() + " does not match its SHA-256 in the "
                    + "manifest (corrupted in transit or a stale chunk)");
        }
    }

    /// Reads chunk `index` of `file` as the manifest chunks it (coordinator side, or a node checking what it holds).
    public static Chunk readChunk(CheckpointManifest manifest, Path file, int index) throws IOException {
        int length = chunkLength(manifest, index);
        byte[] data = new byte[length];
        try (var channel = Files.newByteChannel(file)) {
            channel.position((long) index * manifest.getChunkSize());
            var buffer = java.nio.ByteBuffer.wrap(data);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer) < 0) {
                    throw new IOException(file + " ends before chunk " + index + " is complete");
                }
            }
        }
        return Chunk.newBuilder().setVersion(manifest.getVersion()).setIndex(index)
                .setData(ByteString.copyFrom(data)).build();
    }

    private static void checkChunkSize(int chunkSize) {
        if (chunkSize < 1 || chunkSize > ProtocolLimits.MAX_CHUNK_DATA_BYTES) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is outside 1.."
                    + ProtocolLimits.MAX_CHUNK_DATA_BYTES);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
