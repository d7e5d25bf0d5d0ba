package dev.hearth.engine.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class CompressDctTest {

    @Test
    void keepsTopKByMagnitudeInAscendingIndexOrder() {
        float[] block = {0.1f, -5f, 3f, 0f, -4f, 2f};
        assertArrayEquals(new int[] {1, 4}, CompressDct.topK(block, 2));
        assertArrayEquals(new int[] {1, 2, 4}, CompressDct.topK(block, 3));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, CompressDct.topK(block, 6));
    }

    @Test
    void breaksTiesByLowerIndex() {
        assertArrayEquals(new int[] {0, 1}, CompressDct.topK(new float[] {1f, -1f, 1f, -1f}, 2));
        assertArrayEquals(new int[] {1, 2}, CompressDct.topK(new float[] {0f, 3f, -3f, 3f, 0f}, 2));
        assertArrayEquals(new int[] {0, 1, 2}, CompressDct.topK(new float[] {0f, 0f, 0f, 0f}, 3));
    }

    @Test
    void selectsWithinA2dBlockOfALargerMatrix() {
        // a 4×6 matrix, block (rows 2..3, cols 3..5): within-block index = b·3 + d
        float[] m = new float[24];
        m[2 * 6 + 3] = 1f;   // (0, 0) -> 0
        m[2 * 6 + 5] = -7f;  // (0, 2) -> 2
        m[3 * 6 + 4] = 6f;   // (1, 1) -> 4
        m[0] = 100f;         // outside the block
        short[] idx = new short[2];
        float[] val = new float[2];
        CompressDct.selectTopK(m, 2 * 6 + 3, 6, 2, 3, 2, idx, val, 0, new CompressDct.Scratch(2));
        assertArrayEquals(new short[] {2, 4}, idx);
        assertArrayEquals(new float[] {-7f, 6f}, val);
    }
}
