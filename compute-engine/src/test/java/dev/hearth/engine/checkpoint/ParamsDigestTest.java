package dev.hearth.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ParamsDigestTest {

    /// The digest a RoundCommit names is SHA-256 over the little-endian float32 bytes, whatever the chunking:
    /// lengths below, at and across the hashing chunk.
    @Test
    void sha256IsTheDigestOfTheLittleEndianFloats() throws Exception {
        Random rnd = new Random(3);
        for (int n : new int[] {0, 1, 7, 16_384, 16_385, 50_001}) {
            float[] p = new float[n];
            for (int i = 0; i < n; i++) p[i] = (float) rnd.nextGaussian();
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : p) b.putFloat(f);
            byte[] expected = MessageDigest.getInstance("SHA-256").digest(b.array());
            assertArrayEquals(expected, ParamsDigest.sha256(p), "n = " + n);
        }
    }
}
