package dev.hearth.engine.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ParameterLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoAggregatorTest {

    private static final ParameterLayout LAYOUT = DemoFixtures.tinyLayout();
    private static final DemoConfig CONFIG = DemoFixtures.tinyConfig(ValueEncoding.FP16);

    private static List<SparseUpdate> updates(int n, long seed) {
        var list = new ArrayList<SparseUpdate>();
        for (int u = 0; u < n; u++) {
            var c = new DemoCompressor(LAYOUT, CONFIG);
            // different scales so that NORM_CLIP and the trimmed mean have something to do
            list.add(c.compress(DemoFixtures.gaussian(LAYOUT.size(), seed + u, 1f + u)));
        }
        return list;
    }

    private static void assertAgreesWithReference(RobustMode mode) {
        List<SparseUpdate> ups = updates(5, 40);
        long[] tokens = {2048, 1024, 4096, 2048, 512};
        float[] fast = DemoAggregator.aggregate(LAYOUT, CONFIG, ups, tokens, mode);
        float[] ref = ReferenceDemo.aggregate(new DemoBlocking(LAYOUT, CONFIG), ups, tokens, mode);
        float tol = 1e-6f * (1 + DemoFixtures.maxAbs(ref));
        assertTrue(DemoFixtures.maxAbsDiff(ref, fast) < tol, mode + ": diff " + DemoFixtures.maxAbsDiff(ref, fast));
    }

    @Test
    void weightedMeanAgreesWithReference() {
        assertAgreesWithReference(RobustMode.NONE);
    }

    @Test
    void trimmedMeanAgreesWithReference() {
        assertAgreesWithReference(RobustMode.trimmedMean(0.25));
    }

    @Test
    void normClipAgreesWithReference() {
        assertAgreesWithReference(RobustMode.NORM_CLIP);
    }

    @Test
    void eachCoefficientIsTheWeightedMeanOfOnlyTheNodesThatSentIt() {
        var blocking = new DemoBlocking(LAYOUT, CONFIG);
        var t = blocking.tensors().get(LAYOUT.tensors().indexOf(LAYOUT.tensor("h.0.attn.proj.w")));
        // two updates that agree on the indices of block 0 of this tensor; the second also sends other indices
        short[] ia = new short[blocking.entryCount()];
        float[] va = new float[blocking.entryCount()];
        short[] ib = new short[blocking.entryCount()];
        float[] vb = new float[blocking.entryCount()];
        for (DemoBlocking.TensorBlocks tb : blocking.tensors()) {
            for (int blk = 0; blk < tb.blockCount(); blk++) {
                for (int e = 0; e < tb.keep(); e++) {
                    int i = tb.entryOffset() + blk * tb.keep() + e;
                    ia[i] = (short) e;
                    ib[i] = (short) (tb.blockElems() - tb.keep() + e);
                }
            }
        }
        int i0 = t.entryOffset();
        ib[i0] = 0; // both send coefficient 0 of block 0 ...
        va[i0] = 1f;
        vb[i0] = 5f;
        va[i0 + 1] = 2f; // ... only a sends coefficient 1
        var a = new SparseUpdate(blocking, ia, va);
        var b = new SparseUpdate(blocking, ib, vb);
        float[] direction = DemoAggregator.aggregate(LAYOUT, CONFIG, List.of(a, b), new long[] {1, 3},
                RobustMode.NONE);
        // back to coefficients: the block's DCT of the direction
        int n1 = t.blockRows();
        int n2 = t.blockCols();
        float[] block = new float[n1 * n2];
        for (int r = 0; r < n1; r++) {
            System.arraycopy(direction, t.offset() + r * t.cols(), block, r * n2, n2);
        }
        float[] y = TransformDct.forward2d(block, n1, n2);
        assertEquals((1 * 1f + 3 * 5f) / 4, y[0], 1e-5f);
        assertEquals(2f, y[1], 1e-5f); // not halved: b did not send it
        assertEquals(0f, y[2], 1e-5f);
    }

    @Test
    void resultDoesNotDependOnThreads() {
        List<SparseUpdate> ups = updates(3, 70);
        long[] tokens = {1, 2, 3};
        float[] a = DemoAggregator.aggregate(LAYOUT, CONFIG, ups, tokens, RobustMode.NONE);
        float[] b = new java.util.concurrent.ForkJoinPool(1).submit(
                () -> DemoAggregator.aggregate(LAYOUT, CONFIG, ups, tokens, RobustMode.NONE)).join();
        assertArrayEquals(a, b);
    }

    @Test
    void normClipShrinksAnOutlierToTheMedianNorm() {
        List<SparseUpdate> ups = updates(3, 90);
        float[] scales = DemoAggregator.clipScales(ups, RobustMode.NORM_CLIP);
        double median = ups.get(1).l2Norm(); // scales 1, 2, 3: the middle one is the median
        assertEquals(1f, scales[0]);
        assertEquals(1f, scales[1]);
        assertEquals(median / ups.get(2).l2Norm(), scales[2], 1e-6);
    }

    @Test
    void rejectsMismatchedWeightsAndForeignUpdates() {
        List<SparseUpdate> ups = updates(2, 10);
        var e1 = assertThrows(IllegalArgumentException.class,
                () -> DemoAggregator.aggregate(LAYOUT, CONFIG, ups, new long[] {1}, RobustMode.NONE));
        assertTrue(e1.getMessage().contains("token weights"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> DemoAggregator.aggregate(LAYOUT, CONFIG, ups, new long[] {1, 0}, RobustMode.NONE));
        assertTrue(e2.getMessage().contains("positive"), e2.getMessage());
        var other = CONFIG.withTopK(3);
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> DemoAggregator.aggregate(LAYOUT, other, ups, new long[] {1, 1}, RobustMode.NONE));
        assertTrue(e3.getMessage().contains("another layout"), e3.getMessage());
    }

    @Test
    void sparseUpdateRejectsIndicesOutsideTheBlockOrRepeated() {
        var blocking = new DemoBlocking(LAYOUT, CONFIG);
        short[] idx = new short[blocking.entryCount()];
        for (DemoBlocking.TensorBlocks tb : blocking.tensors()) {
            for (int blk = 0; blk < tb.blockCount(); blk++) {
                for (int e = 0; e < tb.keep(); e++) {
                    idx[tb.entryOffset() + blk * tb.keep() + e] = (short) e;
                }
            }
        }
        float[] val = new float[blocking.entryCount()];
        new SparseUpdate(blocking, idx, val); // canonical: accepted
        short[] repeated = idx.clone();
        repeated[1] = repeated[0];
        var e1 = assertThrows(IllegalArgumentException.class, () -> new SparseUpdate(blocking, repeated, val));
        assertTrue(e1.getMessage().contains("strictly increasing"), e1.getMessage());
        short[] outside = idx.clone();
        var t0 = blocking.tensors().get(0);
        outside[t0.keep() - 1] = (short) t0.blockElems();
        var e2 = assertThrows(IllegalArgumentException.class, () -> new SparseUpdate(blocking, outside, val));
        assertTrue(e2.getMessage().contains("out of range"), e2.getMessage());
    }

    @Test
    void sortKeyRoundTripsIndexValueAndUpdate() {
        float[] values = {-3.5f, -0f, 0f, 1e-30f, 7f, Float.MAX_VALUE, -Float.MAX_VALUE};
        for (float v : values) {
            long k = DemoAggregator.sortKey(65535, v, 65534);
            assertEquals(65535, DemoAggregator.keyIndex(k));
            assertEquals(65534, DemoAggregator.keyUpdate(k));
            assertEquals(Float.floatToRawIntBits(v), Float.floatToRawIntBits(DemoAggregator.keyValue(k)));
        }
        assertTrue(DemoAggregator.sortKey(3, -1f, 9) < DemoAggregator.sortKey(3, 0.5f, 0));
        assertTrue(DemoAggregator.sortKey(3, 100f, 9) < DemoAggregator.sortKey(40000, -100f, 0));
    }
}
