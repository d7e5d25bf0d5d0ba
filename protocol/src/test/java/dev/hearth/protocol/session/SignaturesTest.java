package dev.hearth.protocol.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.SampleMessages;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.identity.UpdateSignatures;
import dev.hearth.protocol.wire.UpdateUpload;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SignaturesTest {
    private final NodeIdentity node = NodeIdentity.generate();
    private final byte[] payload = SampleMessages.bytes(1000, 5).toByteArray();

    @Test
    void updateSignatureVerifiesForTheSignedRunRoundAndPayload() {
        byte[] signature = UpdateSignatures.sign(node, "run-1", 8, payload);
        assertTrue(UpdateSignatures.verify(node.publicKeyBytes(), "run-1", 8, payload, signature));
        assertFalse(UpdateSignatures.verify(node.publicKeyBytes(), "run-1", 9, payload, signature), "other round");
        assertFalse(UpdateSignatures.verify(node.publicKeyBytes(), "run-2", 8, payload, signature), "other run");
        byte[] tampered = payload.clone();
        tampered[17] ^= 1;
        assertFalse(UpdateSignatures.verify(node.publicKeyBytes(), "run-1", 8, tampered, signature), "other payload");
        assertFalse(UpdateSignatures.verify(NodeIdentity.generate().publicKeyBytes(), "run-1", 8, payload, signature));
    }

    @Test
    void signedUploadVerifiesFromItsOwnFields() {
        UpdateUpload upload = UpdateSignatures.signed(node, UpdateUpload.newBuilder().setRunId("run-1").setRound(3)
                .setPayload(ByteString.copyFrom(payload)).build());
        assertTrue(UpdateSignatures.verify(node.publicKeyBytes(), upload));
        assertFalse(UpdateSignatures.verify(node.publicKeyBytes(), upload.toBuilder().setRound(4).build()));
    }

    @Test
    void updateSignedBytesFollowTheDocumentedLayout() {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes("hearth-update-v1".getBytes(StandardCharsets.US_ASCII));
        expected.writeBytes(new byte[] {0, 0, 0, 5});
        expected.writeBytes("run-1".getBytes(StandardCharsets.UTF_8));
        expected.writeBytes(new byte[] {0, 0, 0, 0, 0, 0, 1, 2});
        expected.writeBytes(Fingerprints.sha256(payload));
        assertArrayEquals(expected.toByteArray(), UpdateSignatures.signedBytes("run-1", 258, payload));
    }

    @Test
    void helloSignatureIsBoundToNonceAndCertificate() {
        byte[] nonce = SampleMessages.bytes(32, 1).toByteArray();
        byte[] cert = Fingerprints.sha256(new byte[] {1});
        byte[] signature = HelloSignatures.sign(node, nonce, cert);
        assertTrue(HelloSignatures.verify(node.publicKeyBytes(), nonce, cert, signature));
        assertFalse(HelloSignatures.verify(node.publicKeyBytes(), SampleMessages.bytes(32, 2).toByteArray(), cert,
                signature), "another nonce");
        assertFalse(HelloSignatures.verify(node.publicKeyBytes(), nonce, Fingerprints.sha256(new byte[] {2}),
                signature), "another certificate (man in the middle)");
        assertFalse(HelloSignatures.verify(node.publicKeyBytes(), new byte[3], cert, signature), "short nonce");
    }

    @Test
    void helloAndUpdateSignaturesAreDomainSeparated() {
        byte[] nonce = SampleMessages.bytes(32, 1).toByteArray();
        byte[] cert = Fingerprints.sha256(new byte[] {1});
        byte[] helloSignature = HelloSignatures.sign(node, nonce, cert);
        assertFalse(UpdateSignatures.verify(node.publicKeyBytes(), "run-1", 1, nonce, helloSignature));
    }
}
