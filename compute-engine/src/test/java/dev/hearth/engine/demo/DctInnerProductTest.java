package dev.hearth.engine.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/// The coordinator's agreement screen (`coordinator.validation.UpdateAgreement`) compares updates by their inner
/// products in DCT coefficient space. That equals comparing their decoded parameter-space steps only if the blocked
/// transform is orthogonal: every tensor cut into blocks that tile it exactly (no padding, no overlap) and each block's
/// 2-D DCT-II orthonormal. This checks it on the `nano` blocking (the run's default block size and top-k) and on the
/// tiny one with non-square blocks and blocks smaller than k, through the decode path the mean step commits with.
class DctInnerProductTest {

    /// Relative tolerance: the inverse transform runs in float over ~875 k parameters.
    static final double RELATIVE_TOLERANCE = 1e-4;

    @Test
    void innerProductsOfSparseUpdatesEqualThoseOfTheirDecodedStepsOnTheNanoBlocking() {
        DemoBlocking blocking = new DemoBlocking(ParameterLayout.gpt(ModelConfig.nano()), DemoConfig.defaults());
        assertInnerProductsPreserved(blocking, 1);
    }

    @Test
    void innerProductsArePreservedWithNonSquareBlocksAndBlocksSmallerThanK() {
        DemoBlocking blocking = new DemoBlocking(DemoFixtures.tinyLayout(),
                DemoFixtures.tinyConfig(ValueEncoding.FP16));
        assertInnerProductsPreserved(blocking, 2);
    }

    private static void assertInnerProductsPreserved(DemoBlocking blocking, long seed) {
        SparseUpdate a = randomUpdate(blocking, new SplittableRandom(seed));
        SparseUpdate b = randomUpdate(blocking, new SplittableRandom(seed + 100));
        // ⟨a, a + b⟩ is far from 0 whatever the overlap of their indices; ⟨a, b⟩ checks the cross term
        float[] ca = a.toDenseCoefficients();
        float[] cb = b.toDenseCoefficients();
        float[] cs = new float[ca.length];
        for (int i = 0; i < ca.length; i++) cs[i] = ca[i] + cb[i];
        double coefficients = dot(ca, cs);
        float[] da = decoded(blocking, a);
        float[] db = decoded(blocking, b);
        float[] ds = new float[da.length];
        for (int i = 0; i < da.length; i++) ds[i] = da[i] + db[i]; // the transform is linear: decoded(a + b)
        double parameters = dot(da, ds);
        assertEquals(coefficients, parameters, RELATIVE_TOLERANCE * Math.abs(coefficients),
                "⟨a, a + b⟩ in coefficient space and in parameter space");
        assertEquals(dot(ca, cb), dot(da, db), RELATIVE_TOLERANCE * Math.sqrt(dot(ca, ca) * dot(cb, cb)),
                "⟨a, b⟩ in coefficient space and in parameter space");
        assertEquals(a.l2Norm(), Math.sqrt(dot(da, da)), RELATIVE_TOLERANCE * a.l2Norm(), "‖a‖");
    }

    /// The update's step in parameter space: its coefficients as the mean step packs them (a mean of one update at
    /// weight 1), inverse-transformed.
    private static float[] decoded(DemoBlocking blocking, SparseUpdate u) {
        return MeanStep.direction(blocking, DemoAggregator.meanOverAll(blocking, List.of(u), new long[] {1},
                RobustMode.NONE));
    }

    /// Per block `keep` distinct random indices (sorted) with Gaussian values.
    static SparseUpdate randomUpdate(DemoBlocking blocking, SplittableRandom random) {
        short[] idx = new short[blocking.entryCount()];
        float[] val = new float[blocking.entryCount()];
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            for (int blk = 0; blk < t.blockCount(); blk++) {
                int e0 = t.entryOffset() + blk * t.keep();
                // a random keep-subset of [0, blockElems), in increasing order (selection sampling)
                int chosen = 0;
                for (int k = 0; k < t.blockElems() && chosen < t.keep(); k++) {
                    if (random.nextInt(t.blockElems() - k) < t.keep() - chosen) {
                        idx[e0 + chosen] = (short) k;
                        val[e0 + chosen] = (float) random.nextGaussian();
                        chosen++;
                    }
                }
            }
        }
        return new SparseUpdate(blocking, idx, val);
    }

    private static double dot(float[] x, float[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }
}
