package dev.hearth.protocol.identity;

import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.ProtocolLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/// A node's long-lived Ed25519 identity: the key pair that signs challenge responses and updates.
/// Its [#nodeId()] (hex SHA-256 of the public key) is how the run knows the node and credits its work.
///
/// Stored in one text file, `node-identity.key`, owner-only:
/// ```
/// hearth-node-identity v1
/// private <base64 PKCS#8>
/// public <base64 X.509>
/// ```
public final class NodeIdentity {
    /// The key file's name inside the identity directory.
    public static final String FILE_NAME = "node-identity.key";

    private static final String HEADER = "hearth-node-identity v1";
    private static final String ALGORITHM = "Ed25519";

    private final PrivateKey privateKey;
    private final byte[] publicKeyBytes;
    private final String nodeId;

    private NodeIdentity(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKeyBytes = publicKey.getEncoded();
        this.nodeId = Fingerprints.sha256Hex(publicKeyBytes);
    }

    /// A fresh identity that is not stored anywhere (tests, throwaway nodes).
    public static NodeIdentity generate() {
        try {
            KeyPair pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
            return new NodeIdentity(pair.getPrivate(), pair.getPublic());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime lacks Ed25519 (needs Java 15+)", e);
        }
    }

    /// Loads the identity from `dir`/[#FILE_NAME], creating it (owner-only) on first start.
    ///
    /// @throws IdentityFileException when the file exists but cannot be read or is corrupt; the message names
    ///     the file and says what to do
    public static NodeIdentity loadOrCreate(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        try {
            return load(file);
        } catch (NoSuchFileException missing) {
            NodeIdentity created = generate();
            try {
                OwnerOnlyFiles.writeNew(file, created.encodeFile());
            } catch (IOException e) {
                throw new IdentityFileException(file, "Cannot create the node identity file " + file + ": "
                        + e.getMessage() + ". Check that the data directory is writable.", e);
            }
            return created;
        } catch (IOException e) {
            throw new IdentityFileException(file, "Cannot read the node identity file " + file + ": "
                    + e.getMessage() + ". Check its permissions.", e);
        }
    }

    private static NodeIdentity load(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        try {
            if (lines.size() < 3 || !lines.get(0).equals(HEADER)) {
                throw new IllegalArgumentException("it does not start with '" + HEADER + "'");
            }
            byte[] privateBytes = Base64.getDecoder().decode(field(lines.get(1), "private"));
            byte[] publicBytes = Base64.getDecoder().decode(field(lines.get(2), "public"));
            KeyFactory factory = KeyFactory.getInstance(ALGORITHM);
            PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(privateBytes));
            PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(publicBytes));
            NodeIdentity identity = new NodeIdentity(privateKey, publicKey);
            byte[] probe = "hearth-identity-self-check".getBytes(StandardCharsets.US_ASCII);
            if (!verify(identity.publicKeyBytes, probe, identity.sign(probe))) {
                throw new IllegalArgumentException("its private and public keys do not belong together");
            }
            return identity;
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IdentityFileException(file, "The node identity file " + file + " is corrupt: "
                    + e.getMessage() + ". Restore it from a backup to keep your node id and credits, or move it "
                    + "away and Hearth will create a new identity (a new node id, starting from zero credits).", e);
        }
    }

    private static String field(String line, String name) {
        String prefix = name + " ";
        if (!line.startsWith(prefix)) {
            throw new IllegalArgumentException("the line '" + name + " ...' is missing");
        }
        return line.substring(prefix.length()).strip();
    }

    private byte[] encodeFile() {
        String text = HEADER + "\n"
                + "private " + Base64.getEncoder().encodeToString(privateKey.getEncoded()) + "\n"
                + "public " + Base64.getEncoder().encodeToString(publicKeyBytes) + "\n";
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /// The public key in X.509 encoding (44 bytes), as sent in `Hello.node_public_key`.
    public byte[] publicKeyBytes() {
        return publicKeyBytes.clone();
    }

    /// Lower-case hex SHA-256 of [#publicKeyBytes()].
    public String nodeId() {
        return nodeId;
    }

    /// Ed25519 signature (64 bytes) over `data`.
    public byte[] sign(byte[] data) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(privateKey);
            signature.update(data);
            return signature.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    /// Node id (hex SHA-256) of an X.509-encoded public key.
    public static String nodeIdOf(byte[] publicKeyBytes) {
        return Fingerprints.sha256Hex(publicKeyBytes);
    }

    /// Parses an X.509-encoded Ed25519 public key.
    ///
    /// @throws IllegalArgumentException when the bytes are not an Ed25519 public key
    public static PublicKey parsePublicKey(byte[] publicKeyBytes) {
        if (publicKeyBytes.length == 0 || publicKeyBytes.length > ProtocolLimits.MAX_PUBLIC_KEY_BYTES) {
            throw new IllegalArgumentException("an Ed25519 public key is 44 bytes, got " + publicKeyBytes.length);
        }
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(publicKeyBytes));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
        }
    }

    /// Whether `signature` is a valid Ed25519 signature over `data` by the key `publicKeyBytes` (X.509).
    /// Malformed keys or signatures give `false`, never an exception.
    public static boolean verify(byte[] publicKeyBytes, byte[] data, byte[] signature) {
        try {
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(parsePublicKey(publicKeyBytes));
            verifier.update(data);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }
}
