package dev.hearth.coordinator.checkpoint;

import java.util.List;

/// What a joining node needs to fetch a checkpoint in resumable chunks and verify it: the file is
/// `totalBytes` long, split into chunks of `chunkBytes` (the last one shorter), each with its SHA-256,
/// and the SHA-256 of the whole file. Hashes are lowercase hex.
public record CheckpointManifest(long version, long totalBytes, int chunkBytes, List<String> chunkSha256,
                                 String sha256) {
    public CheckpointManifest {
        chunkSha256 = List.copyOf(chunkSha256);
        long expected = totalBytes == 0 ? 0 : (totalBytes + chunkBytes - 1) / chunkBytes;
        if (chunkBytes < 1 || chunkSha256.size() != expected) {
            throw new IllegalArgumentException("manifest of version " + version + ": " + chunkSha256.size()
                    + " chunk hashes for " + totalBytes + " bytes in chunks of " + chunkBytes);
        }
    }

    public int chunks() {
        return chunkSha256.size();
    }
}
