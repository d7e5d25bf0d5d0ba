package dev.hearth.protocol.session;

import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.identity.NodeIdentity;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/// The byte string a node signs to answer a `Challenge`:
/// `"hearth-hello-v1" || nonce (32) || SHA-256 of the coordinator's certificate (32) || node public key (X.509)`.
///
/// Binding the certificate fingerprint means a response captured by a man in the middle (who must present a
/// different certificate) is worthless against the real coordinator; the single-use nonce defeats replay.
public final class HelloSignatures {
    /// Domain separation: this signature can never be mistaken for an update signature.
    public static final byte[] DOMAIN = "hearth-hello-v1".getBytes(StandardCharsets.US_ASCII);

    private HelloSignatures() {
    }

    public static byte[] signedBytes(byte[] nonce, byte[] certificateSha256, byte[] nodePublicKey) {
        if (nonce.length != ProtocolLimits.NONCE_BYTES) {
            throw new IllegalArgumentException("nonce must be " + ProtocolLimits.NONCE_BYTES + " bytes, got "
                    + nonce.length);
        }
        if (certificateSha256.length != Fingerprints.SHA256_BYTES) {
            throw new IllegalArgumentException("certificate fingerprint must be 32 bytes, got "
                    + certificateSha256.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(DOMAIN);
        out.writeBytes(nonce);
        out.writeBytes(certificateSha256);
        out.writeBytes(nodePublicKey);
        return out.toByteArray();
    }

    public static byte[] sign(NodeIdentity identity, byte[] nonce, byte[] certificateSha256) {
        return identity.sign(signedBytes(nonce, certificateSha256, identity.publicKeyBytes()));
    }

    public static boolean verify(byte[] nodePublicKey, byte[] nonce, byte[] certificateSha256, byte[] signature) {
        if (nonce.length != ProtocolLimits.NONCE_BYTES || certificateSha256.length != Fingerprints.SHA256_BYTES) {
            return false;
        }
        return NodeIdentity.verify(nodePublicKey, signedBytes(nonce, certificateSha256, nodePublicKey), signature);
    }
}
