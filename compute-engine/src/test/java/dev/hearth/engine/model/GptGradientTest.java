package dev.hearth.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.backend.OpenBlasSgemm;
import dev.hearth.engine.data.Batch;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GptGradientTest {

    /// 2 layers, d 16, 2 heads, context 8: every code path of the real model, small enough for finite differences.
    static final ModelConfig TINY = new ModelConfig("tiny", 2, 16, 2, 8, ModelConfig.BYTE_VOCAB);

    static float[] perturbedParams(ModelConfig cfg, long seed) {
        float[] p = GptInit.init(cfg, seed);
        Random r = new Random(seed + 1);
        for (int i = 0; i < p.length; i++) {
            p[i] += (float) (r.nextGaussian() * 0.1); // move LN weights/biases off 1/0 so their gradients matter
        }
        return p;
    }

    static Batch randomBatch(int b, int t, long seed) {
        Random r = new Random(seed);
        int[] x = new int[b * t];
        int[] y = new int[b * t];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(ModelConfig.BYTE_VOCAB);
            y[i] = r.nextInt(ModelConfig.BYTE_VOCAB);
        }
        return new Batch(b, t, x, y);
    }

    @Test
    void referenceGradientMatchesFiniteDifferencesForEveryTensor() {
        float[] p = perturbedParams(TINY, 7);
        Batch batch = randomBatch(2, TINY.context(), 11);
        ReferenceGpt ref = new ReferenceGpt(TINY);
        double[] g = new double[p.length];
        ref.lossAndGradient(p, batch, g);
        Random pick = new Random(3);
        for (ParameterLayout.Tensor t : ParameterLayout.gpt(TINY).tensors()) {
            for (int s = 0; s < 4; s++) {
                int i = t.offset() + pick.nextInt(t.size());
                if (t.name().equals("wte")) {
                    i = t.offset() + batch.inputs()[s] * TINY.dModel() + pick.nextInt(TINY.dModel()); // a used row
                }
                float orig = p[i];
                p[i] = orig + 1e-3f;
                float up = p[i];
                double lossUp = ref.lossAndGradient(p, batch, null);
                p[i] = orig - 1e-3f;
                float down = p[i];
                double lossDown = ref.lossAndGradient(p, batch, null);
                p[i] = orig;
                double fd = (lossUp - lossDown) / ((double) up - down);
                double tol = 1e-6 + 1e-4 * Math.abs(fd);
                assertEquals(fd, g[i], tol, t.name() + "[" + (i - t.offset()) + "]");
            }
        }
    }

    @Test
    void fastPathMatchesReferenceWithOpenBlas() {
        var blas = OpenBlasSgemm.load().orElseThrow(() -> new AssertionError("OpenBLAS did not load"));
        assertFastMatchesReference(blas);
    }

    @Test
    void fastPathMatchesReferenceWithPlainJavaMultiply() {
        assertFastMatchesReference(Sgemm.plainJava());
    }

    private static void assertFastMatchesReference(Sgemm blas) {
        float[] p = perturbedParams(TINY, 5);
        Batch batch = randomBatch(3, TINY.context(), 13);
        double[] gRef = new double[p.length];
        double lossRef = new ReferenceGpt(TINY).lossAndGradient(p, batch, gRef);
        try (var fast = new GptCpuBackend(TINY, blas, "test")) {
            float[] g = new float[p.length];
            g[0] = 123f; // must be overwritten, not accumulated
            float loss = fast.lossAndGradient(p, batch, g);
            assertEquals(lossRef, loss, 1e-5 * lossRef, "loss");
            assertEquals(loss, fast.loss(p, batch), 1e-6f, "loss() equals lossAndGradient()'s loss");
            for (ParameterLayout.Tensor t : fast.layout().tensors()) {
                double scale = 0;
                for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                    scale = Math.max(scale, Math.abs(gRef[i]));
                }
                assertTrue(scale > 0, t.name() + " has an all-zero reference gradient");
                for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                    assertEquals(gRef[i], g[i], 1e-4 * scale, t.name() + "[" + (i - t.offset()) + "]");
                }
            }
        }
    }

    @Test
    void fastPathHandlesChangingBatchShapes() {
        var blas = OpenBlasSgemm.load().orElseThrow();
        float[] p = perturbedParams(TINY, 9);
        try (var fast = new GptCpuBackend(TINY, blas, "test")) {
            for (int[] shape : new int[][] {{2, 8}, {1, 5}, {2, 8}}) {
                Batch batch = randomBatch(shape[0], shape[1], shape[0] * 31L + shape[1]);
                double ref = new ReferenceGpt(TINY).lossAndGradient(p, batch, null);
                assertEquals(ref, fast.loss(p, batch), 1e-5 * ref, "B=" + shape[0] + " T=" + shape[1]);
            }
        }
    }

    @Test
    void threadCountDoesNotChangeTheResult() {
        var blas = OpenBlasSgemm.load().orElseThrow();
        float[] p = perturbedParams(TINY, 21);
        Batch batch = randomBatch(5, TINY.context(), 22); // 10 heads, 40 rows: uneven chunks for 3 threads
        float[] g1 = new float[p.length];
        float[] g3 = new float[p.length];
        float l1;
        float l3;
        try (var one = new GptCpuBackend(TINY, blas, 1, "1 thread");
             var three = new GptCpuBackend(TINY, blas, 3, "3 threads")) {
            l1 = one.lossAndGradient(p, batch, g1);
            l3 = three.lossAndGradient(p, batch, g3);
        }
        assertEquals(l1, l3, 1e-6f * l1);
        for (int i = 0; i < p.length; i++) {
            assertEquals(g1[i], g3[i], 1e-6f + 1e-4f * Math.abs(g1[i]), "gradient " + i);
        }
    }

    @Test
    void parallelCoversTheRangeOnceAndPropagatesFailures() {
        try (var par = new Parallel(3)) {
            int[] hits = new int[1000];
            for (int round = 0; round < 50; round++) {
                par.forRange(hits.length, (from, to, w) -> {
                    for (int i = from; i < to; i++) {
                        hits[i]++;
                    }
                });
            }
            for (int h : hits) {
                assertEquals(50, h);
            }
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> par.forRange(9, (from, to, w) -> {
                        if (from <= 5 && 5 < to) {
                            throw new ArithmeticException("boom");
                        }
                    }));
            assertTrue(e.getCause() instanceof ArithmeticException);
        }
    }

    @Test
    void fastTanhIsWithinAFewUlpOfMathTanh() {
        double max = 0;
        for (float x = -12f; x < 12f; x += 1e-3f) {
            max = Math.max(max, Math.abs(FastMath.tanh(x) - Math.tanh(x)));
        }
        assertTrue(max < 1e-6, "max error " + max);
    }

    @Test
    void initIsDeterministicAndFollowsGpt2() {
        ModelConfig nano = ModelConfig.nano();
        float[] a = GptInit.init(nano, 42);
        float[] b = GptInit.init(nano, 42);
        assertTrue(java.util.Arrays.equals(a, b));
        ParameterLayout layout = ParameterLayout.gpt(nano);
        assertEquals(1f, a[layout.tensor("h.0.ln1.w").offset()]);
        assertEquals(0f, a[layout.tensor("h.3.mlp.fc.b").offset()]);
        assertEquals(0.02, std(a, layout.tensor("h.1.mlp.fc.w")), 0.001);
        assertEquals(0.02 / Math.sqrt(8), std(a, layout.tensor("h.1.mlp.proj.w")), 0.0005);
    }

    private static double std(float[] p, ParameterLayout.Tensor t) {
        double s = 0;
        for (int i = t.offset(); i < t.offset() + t.size(); i++) {
            s += (double) p[i] * p[i];
        }
        return Math.sqrt(s / t.size());
    }
}
