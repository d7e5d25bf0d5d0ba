package dev.hearth.coordinator.service;

import com.google.protobuf.ByteString;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.wire.CheckpointManifest;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/// The current model as nodes download it: {@link Checkpoint#ofParams} encoded, cut into chunks of
/// {@link ProtocolLimits#MAX_CHUNK_DATA_BYTES} with a SHA-256 per chunk and for the whole.
/// Built once per version, on demand.
record ServedCheckpoint(long version, byte[] bytes, CheckpointManifest manifest) {

    static final int CHUNK_BYTES = ProtocolLimits.MAX_CHUNK_DATA_BYTES;

    static ServedCheckpoint of(ModelConfig model, String runId, long version, float[] params) {
        byte[] bytes = Checkpoint.ofParams(model, runId, version, params).encode();
        CheckpointManifest.Builder m = CheckpointManifest.newBuilder()
                .setVersion(version).setTotalBytes(bytes.length).setChunkSize(CHUNK_BYTES);
        for (int off = 0; off < bytes.length; off += CHUNK_BYTES) {
            m.addChunkSha256(ByteString.copyFrom(sha256(bytes, off, Math.min(CHUNK_BYTES, bytes.length - off))));
        }
        m.setSha256(ByteString.copyFrom(sha256(bytes, 0, bytes.length)));
        return new ServedCheckpoint(version, bytes, m.build());
    }

    int chunks() {
        return manifest.getChunkSha256Count();
    }

    ByteString chunk(int index) {
        int off = index * CHUNK_BYTES;
        return ByteString.copyFrom(bytes, off, Math.min(CHUNK_BYTES, bytes.length - off));
    }

    private static byte[] sha256(byte[] b, int off, int len) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(b, off, len);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
