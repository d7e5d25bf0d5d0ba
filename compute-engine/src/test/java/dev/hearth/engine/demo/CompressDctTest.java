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
    void selectsWithinA2dBlockInTransposedPacking() {
        // two 2×3 blocks side by side in transposed packing: (b, d) of block x at d·4 + x·2 + b;
        // block 1 starts at 2, within-block index = b·3 + d
        float[] m = new float[12];
        m[2 + 0 * 4 + 0] = 1f;   // (0, 0) -> 0
        m[2 + 2 * 4 + 0] = -7f;  // (0, 2) -> 2
        m[2 + 1 * 4 + 1] = 6f;   // (1, 1) -> 4
        m[0] = 100f;             // block 0
        short[] idx = new short[2];
        float[] val = new float[2];
        CompressDct.selectTopK(m, 2, 4, 2, 3, 2, idx, val, 0, new CompressDct.Scratch(2));
        assertArrayEquals(new short[] {2, 4}, idx);
        assertArrayEquals(new float[] {-7f, 6f}, val);
    }

    @Test
    void tieBreakByIndexHoldsWhenScanOrderDiffersFromIndexOrder() {
        // a 2×2 block in transposed packing is scanned (0,0) (1,0) (0,1) (1,1) = indices 0, 2, 1, 3
        float[] m = {1f, 5f, 5f, 1f};
        short[] idx = new short[1];
        float[] val = new float[1];
        CompressDct.selectTopK(m, 0, 2, 2, 2, 1, idx, val, 0, new CompressDct.Scratch(1));
        assertArrayEquals(new short[] {1}, idx); // index 1 = (0, 1) at position 2 beats index 2 = (1, 0)
    }

    @Test
    void floorGuessNeverChangesTheSelection() {
        var r = new java.util.SplittableRandom(17);
        var scratch = new CompressDct.Scratch(32);
        for (int trial = 0; trial < 200; trial++) {
            float[] block = new float[64 * 64];
            for (int i = 0; i < block.length; i++) {
                // coarse values so that ties at the threshold are common
                block[i] = (float) (r.nextInt(41) - 20);
            }
            short[] plainIdx = new short[32];
            float[] plainVal = new float[32];
            float kth = CompressDct.selectTopK(block, 0, 64, 64, 64, 32, plainIdx, plainVal, 0, scratch, 0f);
            for (float floor : new float[] {kth * 0.5f, kth, kth * 1.5f + 1, 1e-30f}) {
                short[] idx = new short[32];
                float[] val = new float[32];
                CompressDct.selectTopK(block, 0, 64, 64, 64, 32, idx, val, 0, scratch, floor);
                assertArrayEquals(plainIdx, idx, "trial " + trial + " floor " + floor);
                assertArrayEquals(plainVal, val, "trial " + trial + " floor " + floor);
            }
        }
    }
}
