package dev.hearth.protocol.identity;

import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.wire.UpdateUpload;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/// The byte string a node signs for an `UpdateUpload`:
/// `"hearth-update-v1" || u32 length of run_id (big-endian) || run_id (UTF-8) || u64 round (big-endian)
/// || SHA-256(payload)`.
///
/// The run id is length-prefixed so that no (run, round) pair can be re-read as another; the round and run stop
/// an update from being replayed into a later round or another run.
public final class UpdateSignatures {
    /// Domain separation from the hello signature.
    public static final byte[] DOMAIN = "hearth-update-v1".getBytes(StandardCharsets.US_ASCII);

    private UpdateSignatures() {
    }

    public static byte[] signedBytes(String runId, long round, byte[] payload) {
        byte[] run = runId.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(DOMAIN);
        out.writeBytes(ByteBuffer.allocate(4).putInt(run.length).array());
        out.writeBytes(run);
        out.writeBytes(ByteBuffer.allocate(8).putLong(round).array());
        out.writeBytes(Fingerprints.sha256(payload));
        return out.toByteArray();
    }

    /// Signature over `(runId, round, payload)` by the node's key.
    public static byte[] sign(NodeIdentity identity, String runId, long round, byte[] payload) {
        return identity.sign(signedBytes(runId, round, payload));
    }

    public static boolean verify(byte[] nodePublicKey, String runId, long round, byte[] payload, byte[] signature) {
        return NodeIdentity.verify(nodePublicKey, signedBytes(runId, round, payload), signature);
    }

    /// Verifies an upload's signature against the node's key, reading run, round and payload from the upload.
    public static boolean verify(byte[] nodePublicKey, UpdateUpload upload) {
        return verify(nodePublicKey, upload.getRunId(), upload.getRound(), upload.getPayload().toByteArray(),
                upload.getSignature().toByteArray());
    }

    /// Returns `upload` with its signature field set by `identity`.
    public static UpdateUpload signed(NodeIdentity identity, UpdateUpload upload) {
        byte[] signature = sign(identity, upload.getRunId(), upload.getRound(), upload.getPayload().toByteArray());
        return upload.toBuilder().setSignature(com.google.protobuf.ByteString.copyFrom(signature)).build();
    }
}
