package dev.hearth.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/// SHA-256 helpers shared by certificate pinning, node ids and signatures.
public final class Fingerprints {
    /// SHA-256 output length in bytes.
    public static final int SHA256_BYTES = 32;

    private static final HexFormat HEX = HexFormat.of();

    private Fingerprints() {
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /// Lower-case hex SHA-256 of `data` (64 characters).
    public static String sha256Hex(byte[] data) {
        return HEX.formatHex(sha256(data));
    }

    public static String hex(byte[] data) {
        return HEX.formatHex(data);
    }

    /// Parses hex (either case) to bytes.
    ///
    /// @throws IllegalArgumentException when the text is not hex
    public static byte[] fromHex(String hex) {
        return HEX.parseHex(hex);
    }
}
