package dev.hearth.engine.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/// SHA-256 of a parameter vector as little-endian float32: the coordinator and every node compute it after
/// each commit, so equal digests mean bit-identical models on every machine.
public final class ParamsDigest {

    /// Hash in slices so a 10M-parameter vector needs a 256 KiB buffer, not a 40 MB copy.
    private static final int CHUNK_FLOATS = 1 << 16;

    private ParamsDigest() {
    }

    public static byte[] sha256(float[] params) {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < params.length; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, params.length - from);
            buf.clear();
            buf.asFloatBuffer().put(params, from, n);
            d.update(buf.array(), 0, n * 4);
        }
        return d.digest();
    }

    /// The digest as lower-case hex.
    public static String hex(float[] params) {
        return HexFormat.of().formatHex(sha256(params));
    }
}
