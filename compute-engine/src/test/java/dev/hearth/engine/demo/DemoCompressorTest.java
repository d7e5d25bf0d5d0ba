package dev.hearth.engine.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import org.junit.jupiter.api.Test;

class DemoCompressorTest {

    @Test
    void residualIsBetaMomentumPlusGradientMinusInverseOfSentUpdate() {
        ParameterLayout layout = DemoFixtures.tinyLayout();
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        var c = new DemoCompressor(layout, config);
        float[] before = DemoFixtures.gaussian(layout.size(), 1, 1f);
        c.restoreMomentum(before);
        float[] g = DemoFixtures.gaussian(layout.size(), 2, 1f);
        SparseUpdate q = c.compress(g);
        float[] sent = ReferenceDemo.decompress(q);
        float[] after = c.momentum();
        for (int i = 0; i < after.length; i++) {
            float expected = config.beta() * before[i] + g[i] - sent[i];
            assertEquals(expected, after[i], 1e-5f, "parameter " + i);
        }
    }

    @Test
    void agreesWithReferenceOverSeveralStepsOnTheTinyLayout() {
        ParameterLayout layout = DemoFixtures.tinyLayout();
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.FP16);
        assertAgreesWithReference(layout, config, 4);
    }

    @Test
    void agreesWithReferenceOn64By64BlocksAndKOf32() {
        ParameterLayout layout = ParameterLayout.gpt(new ModelConfig("r", 1, 128, 2, 64, 192));
        assertAgreesWithReference(layout, DemoConfig.defaults(), 2);
    }

    private static void assertAgreesWithReference(ParameterLayout layout, DemoConfig config, int steps) {
        var fast = new DemoCompressor(layout, config);
        var blocking = fast.blocking();
        float[] refM = new float[layout.size()];
        for (int s = 0; s < steps; s++) {
            float[] g = DemoFixtures.gaussian(layout.size(), 100 + s, 1f);
            SparseUpdate qf = fast.compress(g);
            SparseUpdate qr = ReferenceDemo.compress(blocking, config.beta(), refM, g);
            for (int i = 0; i < qf.entryCount(); i++) {
                assertEquals(qr.index(i), qf.index(i), "step " + s + " entry " + i + " index");
                assertEquals(qr.value(i), qf.value(i), TransformDctTest.RELATIVE_TOLERANCE * (1 + Math.abs(qr.value(i))),
                        "step " + s + " entry " + i + " value");
            }
            float tol = TransformDctTest.RELATIVE_TOLERANCE * (1 + DemoFixtures.maxAbs(refM));
            assertTrue(DemoFixtures.maxAbsDiff(refM, fast.momentum()) < tol, "momentum after step " + s);
        }
    }

    @Test
    void sentCoefficientsAreTheLargestOfEachBlock() {
        ParameterLayout layout = DemoFixtures.tinyLayout();
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        var c = new DemoCompressor(layout, config);
        float[] g = DemoFixtures.gaussian(layout.size(), 5, 1f);
        SparseUpdate q = c.compress(g); // m was 0, so the block coefficients are DCT(g)
        for (DemoBlocking.TensorBlocks t : c.blocking().tensors()) {
            for (int blk = 0; blk < t.blockCount(); blk++) {
                int by = blk / t.blocksAcross();
                int bx = blk % t.blocksAcross();
                double[][] x = new double[t.blockRows()][t.blockCols()];
                for (int b = 0; b < t.blockRows(); b++) {
                    for (int d = 0; d < t.blockCols(); d++) {
                        x[b][d] = g[t.offset() + (by * t.blockRows() + b) * t.cols() + bx * t.blockCols() + d];
                    }
                }
                double[][] y = ReferenceDemo.dct2(x);
                boolean[] sent = new boolean[t.blockElems()];
                double minSent = Double.MAX_VALUE;
                for (int e = 0; e < t.keep(); e++) {
                    int i = t.entryOffset() + blk * t.keep() + e;
                    int k = q.index(i);
                    sent[k] = true;
                    assertEquals(y[k / t.blockCols()][k % t.blockCols()], q.value(i), 1e-5);
                    minSent = Math.min(minSent, Math.abs(q.value(i)));
                }
                for (int k = 0; k < t.blockElems(); k++) {
                    if (!sent[k]) {
                        double left = Math.abs(y[k / t.blockCols()][k % t.blockCols()]);
                        assertTrue(left <= minSent + 1e-6, "block " + blk + " kept " + minSent + " but left " + left);
                    }
                }
            }
        }
    }

    @Test
    void rejectsNonFiniteGradientAndKeepsMomentum() {
        ParameterLayout layout = DemoFixtures.tinyLayout();
        var c = new DemoCompressor(layout, DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT));
        float[] m = DemoFixtures.gaussian(layout.size(), 9, 1f);
        c.restoreMomentum(m);
        float[] before = c.momentum();
        float[] g = new float[layout.size()];
        g[layout.tensor("h.0.mlp.fc.w").offset() + 3] = Float.NaN;
        var e = assertThrows(IllegalArgumentException.class, () -> c.compress(g));
        assertTrue(e.getMessage().contains("h.0.mlp.fc.w"), e.getMessage());
        assertArrayEquals(before, c.momentum());
    }

    @Test
    void rejectsGradientOfWrongLength() {
        var c = new DemoCompressor(DemoFixtures.tinyLayout(), DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT));
        var e = assertThrows(IllegalArgumentException.class, () -> c.compress(new float[3]));
        assertTrue(e.getMessage().contains("3 values"), e.getMessage());
    }

    @Test
    void momentumRoundTripsThroughRestore() {
        ParameterLayout layout = DemoFixtures.tinyLayout();
        var c = new DemoCompressor(layout, DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT));
        float[] m = DemoFixtures.gaussian(layout.size(), 4, 2f);
        c.restoreMomentum(m);
        assertTrue(DemoFixtures.maxAbsDiff(m, c.momentum()) < 1e-5f);
    }
}
