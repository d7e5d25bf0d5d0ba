package dev.hearth.engine.demo;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import java.util.SplittableRandom;

/// Small layouts and seeded random vectors shared by the DeMo tests.
final class DemoFixtures {

    private DemoFixtures() {
    }

    /// A one-layer GPT with awkward sizes: vocab 13 (prime, so 1-row blocks), d 8, context 16; with block size 6
    /// it cuts into 1×4, 4×4, 4×6, 6×… blocks and 1-D blocks of 4 and 6.
    static ParameterLayout tinyLayout() {
        return ParameterLayout.gpt(new ModelConfig("tiny", 1, 8, 2, 16, 13));
    }

    /// Block 6, k 5: exercises non-square blocks and blocks smaller than k.
    static DemoConfig tinyConfig(ValueEncoding encoding) {
        return new DemoConfig(0.9f, 6, 5, encoding);
    }

    static float[] gaussian(int n, long seed, float scale) {
        var r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian(r) * scale);
        }
        return v;
    }

    private static double gaussian(SplittableRandom r) {
        double u = r.nextDouble();
        double w = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
    }

    static float maxAbs(float[] v) {
        float m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
