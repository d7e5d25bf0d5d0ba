package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.backend.OpenBlasSgemm;
import dev.hearth.engine.data.Batch;
import dev.hearth.engine.model.GptCpuBackend;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.model.ReferenceGpt;
import dev.hearth.engine.model.Sgemm;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.GradientClip;
import dev.hearth.engine.train.HostLocalTrainer;
import dev.hearth.engine.train.LocalTrainer;
import java.util.Arrays;
import java.util.Random;

/// The checks that hold {@link CudaLocalTrainer} to the CPU engine, shared by the test on a real GPU
/// ({@link CudaLocalTrainerGpuTest}, tag `gpu`) and the one on the CPU emulator of the driver
/// ({@link CudaLocalTrainerEmulatorTest}). The CPU side is {@link HostLocalTrainer} over {@link GptCpuBackend}
/// (and, for the gradient, {@link ReferenceGpt} in double precision), driven through the same {@link LocalTrainer}
/// calls.
final class CudaParity {

    /// fp32 path: the bounds. Loss within 1e-5 relative; each tensor's max |Δ| within 1e-4 of its max.
    static final double LOSS_REL = 1e-5;
    static final double TENSOR_REL = 1e-4;
    /// After many AdamW steps tiny gradient differences move individual parameters by up to ±lr (a near-zero
    /// gradient whose sign differs), so the trajectory is compared by loss and by each tensor's pseudo-gradient
    /// norm of the difference. A chosen bound, not a measured one.
    static final double TRAJECTORY_LOSS_REL = 1e-3;
    static final double TRAJECTORY_TENSOR_REL = 1e-2;

    static final AdamW.Settings INNER = AdamW.Settings.defaults();

    private CudaParity() {
    }

    /// GPT-2 init moved off its symmetric start (layer norms off 1/0) so every gradient matters.
    static float[] perturbedParams(ModelConfig cfg, long seed) {
        float[] p = GptInit.init(cfg, seed);
        Random r = new Random(seed + 1);
        for (int i = 0; i < p.length; i++) {
            p[i] += (float) (r.nextGaussian() * 0.02);
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

    static HostLocalTrainer cpu(ModelConfig cfg) {
        Sgemm blas = OpenBlasSgemm.load().<Sgemm>map(s -> s).orElseGet(Sgemm::plainJava);
        return new HostLocalTrainer(new GptCpuBackend(cfg, blas, "cpu"), INNER);
    }

    /// One micro-batch: the loss and every tensor of the gradient against the CPU engine, and (when
    /// `withReference`) against ReferenceGpt's double-precision gradient.
    static void gradientMatchesCpu(CudaDriver driver, ModelConfig cfg, int b, boolean withReference) {
        float[] p = perturbedParams(cfg, 5);
        Batch batch = randomBatch(b, cfg.context(), 13);
        int n = p.length;
        float[] gCpu = new float[n];
        float lossCpu;
        try (HostLocalTrainer host = cpu(cfg)) {
            host.load(p);
            host.zeroGradient();
            lossCpu = host.accumulateGradient(batch, 1f);
            host.readGradient(gCpu);
        }
        float[] gGpu = new float[n];
        float lossGpu;
        float lossOnly;
        double norm;
        try (CudaLocalTrainer gpu = CudaLocalTrainer.open(driver, 0, cfg, b, INNER)) {
            gpu.load(p);
            gpu.zeroGradient();
            lossGpu = gpu.accumulateGradient(batch, 1f);
            gpu.readGradient(gGpu);
            lossOnly = gpu.loss(batch);
            norm = gpu.gradientNorm();
        }
        assertEquals(lossCpu, lossGpu, LOSS_REL * lossCpu, "loss against the CPU engine");
        assertEquals(lossGpu, lossOnly, LOSS_REL * lossGpu, "loss() equals accumulateGradient()'s loss");
        assertEquals(GradientClip.norm(gCpu), norm, 1e-5 * norm, "gradient norm");
        assertTensorsClose(cfg, toDouble(gCpu), gGpu, TENSOR_REL, "CPU engine");
        if (withReference) {
            double[] gRef = new double[n];
            double lossRef = new ReferenceGpt(cfg).lossAndGradient(p, batch, gRef);
            assertEquals(lossRef, lossGpu, LOSS_REL * lossRef, "loss against ReferenceGpt");
            assertTensorsClose(cfg, gRef, gGpu, TENSOR_REL, "ReferenceGpt");
        }
    }

    /// The backward's rebuild of the last layer's attention probabilities, GELU and ln2 outputs, after another
    /// layer's rebuild has overwritten the shared slots, gives the bits its forward wrote (so the gradient is the
    /// one keeping them per layer gave). `cfg` needs two layers or more.
    static void rebuiltActivationsAreTheForwardsBits(CudaDriver driver, ModelConfig cfg, int b) {
        int t = cfg.context();
        int last = cfg.layers() - 1;
        try (CudaLocalTrainer gpu = CudaLocalTrainer.open(driver, 0, cfg, b, INNER)) {
            gpu.load(perturbedParams(cfg, 23));
            gpu.loss(randomBatch(b, t, 29)); // forward only: the last layer's P, GELU and ln2 outputs stay
            CudaGpt gpt = gpu.gpt();
            float[] probs = gpt.downloadProbabilities(b, t);
            float[] gelu = gpt.downloadGelu(b * t);
            float[] ln2 = gpt.downloadLn(b * t);
            long p = gpu.parameterAddress();
            gpt.rebuildProbabilities(0, b, t);
            gpt.rebuildGelu(0, b * t);
            gpt.rebuildLn1(p, 0, b * t);
            assertFalse(Arrays.equals(bits(probs), bits(gpt.downloadProbabilities(b, t))),
                    "layer 0's probabilities overwrite the shared slot");
            assertFalse(Arrays.equals(bits(gelu), bits(gpt.downloadGelu(b * t))),
                    "layer 0's GELU output overwrites the shared slot");
            assertFalse(Arrays.equals(bits(ln2), bits(gpt.downloadLn(b * t))),
                    "layer 0's ln1 output overwrites the shared slot");
            gpt.rebuildProbabilities(last, b, t);
            gpt.rebuildGelu(last, b * t);
            gpt.rebuildLn2(p, last, b * t);
            assertArrayEquals(bits(probs), bits(gpt.downloadProbabilities(b, t)),
                    "rebuilt attention probabilities of layer " + last + " against its forward's");
            assertArrayEquals(bits(gelu), bits(gpt.downloadGelu(b * t)),
                    "rebuilt GELU output of layer " + last + " against its forward's");
            assertArrayEquals(bits(ln2), bits(gpt.downloadLn(b * t)),
                    "rebuilt ln2 output of layer " + last + " against its forward's");
        }
    }

    /// Two micro-batches of different sizes (the second smaller than the allocation, the third larger, which
    /// grows it) with weights, as a round's gradient accumulation does.
    static void weightedAccumulationMatchesCpu(CudaDriver driver, ModelConfig cfg, int b) {
        float[] p = perturbedParams(cfg, 7);
        Batch[] batches = {randomBatch(b, cfg.context(), 1), randomBatch(1, cfg.context() / 2, 2),
                randomBatch(b + 1, cfg.context(), 3)};
        float[] weights = {0.5f, 0.2f, 0.3f};
        float[] gCpu = new float[p.length];
        float[] gGpu = new float[p.length];
        try (HostLocalTrainer host = cpu(cfg); CudaLocalTrainer gpu = CudaLocalTrainer.open(driver, 0, cfg, b, INNER)) {
            host.load(p);
            gpu.load(p);
            host.zeroGradient();
            gpu.zeroGradient();
            for (int i = 0; i < batches.length; i++) {
                float lc = host.accumulateGradient(batches[i], weights[i]);
                float lg = gpu.accumulateGradient(batches[i], weights[i]);
                assertEquals(lc, lg, LOSS_REL * lc, "loss of micro-batch " + i);
            }
            assertEquals(b + 1, gpu.microBatch(), "a larger batch grows the activations once");
            host.readGradient(gCpu);
            gpu.readGradient(gGpu);
        }
        assertTensorsClose(cfg, toDouble(gCpu), gGpu, TENSOR_REL, "CPU engine, accumulated");
    }

    /// `steps` inner AdamW steps on the same batches: the loss at every step, the pseudo-gradient per tensor
    /// and the optimizer's moments track the CPU run; restoring the state continues identically.
    static void adamwStepsTrackCpu(CudaDriver driver, ModelConfig cfg, int b, int steps) {
        float[] p = GptInit.init(cfg, 11);
        float lr = 1e-3f;
        float[] pgCpu = new float[p.length];
        float[] pgGpu = new float[p.length];
        try (HostLocalTrainer host = cpu(cfg); CudaLocalTrainer gpu = CudaLocalTrainer.open(driver, 0, cfg, b, INNER)) {
            host.load(p);
            gpu.load(p);
            for (int s = 0; s < steps; s++) {
                Batch batch = randomBatch(b, cfg.context(), 100 + s % 4); // 4 batches, revisited: the loss falls
                host.zeroGradient();
                gpu.zeroGradient();
                float lc = host.accumulateGradient(batch, 1f);
                float lg = gpu.accumulateGradient(batch, 1f);
                assertEquals(lc, lg, TRAJECTORY_LOSS_REL * lc, "loss at step " + s);
                host.adamwStep(lr);
                gpu.adamwStep(lr);
            }
            host.readPseudoGradient(pgCpu);
            gpu.readPseudoGradient(pgGpu);
            assertTensorNormsClose(cfg, pgCpu, pgGpu, TRAJECTORY_TENSOR_REL, "pseudo-gradient after " + steps);
            LocalTrainer.AdamWState sc = host.optimizerState();
            LocalTrainer.AdamWState sg = gpu.optimizerState();
            assertEquals(sc.steps(), sg.steps(), "AdamW step count");
            assertTensorNormsClose(cfg, sc.m(), sg.m(), TRAJECTORY_TENSOR_REL, "first moment");
            assertTensorNormsClose(cfg, sc.v(), sg.v(), TRAJECTORY_TENSOR_REL, "second moment");
        }
    }

    /// Two trainers fed the same θ and batches give the same bits: gradient, θ after AdamW steps, pseudo-gradient.
    static void identicalRunsGiveIdenticalBytes(CudaDriver driver, ModelConfig cfg, int b) {
        float[][] grads = new float[2][];
        float[][] thetas = new float[2][];
        float[] losses = new float[2];
        for (int run = 0; run < 2; run++) {
            try (CudaLocalTrainer gpu = CudaLocalTrainer.open(driver, 0, cfg, b, INNER)) {
                gpu.load(perturbedParams(cfg, 3));
                for (int s = 0; s < 3; s++) {
                    gpu.zeroGradient();
                    losses[run] = gpu.accumulateGradient(randomBatch(b, cfg.context(), 40 + s), 1f);
                    gpu.adamwStep(1e-3f);
                }
                grads[run] = new float[gpu.layout().size()];
                thetas[run] = new float[gpu.layout().size()];
                gpu.readGradient(grads[run]);
                gpu.readPseudoGradient(thetas[run]);
            }
        }
        assertEquals(Float.floatToRawIntBits(losses[0]), Float.floatToRawIntBits(losses[1]), "loss bits");
        assertArrayEquals(bits(grads[0]), bits(grads[1]), "gradient bits");
        assertArrayEquals(bits(thetas[0]), bits(thetas[1]), "pseudo-gradient bits");
    }

    /// A restored optimizer state continues exactly as the uninterrupted one (the worker saves it between rounds).
    static void restoredOptimizerStateContinuesTheRun(CudaDriver driver, ModelConfig cfg, int b) {
        float[] p = perturbedParams(cfg, 17);
        float[] straight = new float[p.length];
        float[] resumed = new float[p.length];
        LocalTrainer.AdamWState saved;
        float[] mid = new float[p.length];
        try (CudaLocalTrainer gpu = CudaLocalTrainer.open(driver, 0, cfg, b, INNER)) {
            gpu.load(p);
            step(gpu, cfg, b, 0);
            saved = gpu.optimizerState();
            gpu.readParameters(mid);
            step(gpu, cfg, b, 1);
            gpu.readParameters(straight);
        }
        try (CudaLocalTrainer gpu = CudaLocalTrainer.open(driver, 0, cfg, b, INNER)) {
            gpu.load(mid);
            gpu.restoreOptimizerState(saved);
            step(gpu, cfg, b, 1);
            gpu.readParameters(resumed);
        }
        assertEquals(1, saved.steps());
        assertArrayEquals(bits(straight), bits(resumed), "θ after a save and restore");
    }

    private static void step(CudaLocalTrainer gpu, ModelConfig cfg, int b, int s) {
        gpu.zeroGradient();
        gpu.accumulateGradient(randomBatch(b, cfg.context(), 70 + s), 1f);
        gpu.adamwStep(1e-3f);
    }

    private static int[] bits(float[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Float.floatToRawIntBits(a[i]);
        }
        return out;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /// Each tensor: max |expected − actual| ≤ rel × max |expected| (and the reference is not all zero).
    static void assertTensorsClose(ModelConfig cfg, double[] expected, float[] actual, double rel, String against) {
        for (ParameterLayout.Tensor t : ParameterLayout.gpt(cfg).tensors()) {
            double scale = 0;
            double worst = 0;
            int worstAt = -1;
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                scale = Math.max(scale, Math.abs(expected[i]));
                double d = Math.abs(expected[i] - actual[i]);
                if (!(d <= worst)) { // NaN counts as worst
                    worst = d;
                    worstAt = i;
                }
            }
            assertTrue(scale > 0, t.name() + " has an all-zero " + against + " gradient");
            assertTrue(worst <= rel * scale, t.name() + ": max |Δ| " + worst + " at [" + (worstAt - t.offset())
                    + "] exceeds " + rel + " × max " + scale + " (against " + against + ")");
        }
    }

    /// Each tensor: ‖expected − actual‖₂ ≤ rel × ‖expected‖₂ (plus a floor for all-zero tensors).
    static void assertTensorNormsClose(ModelConfig cfg, float[] expected, float[] actual, double rel, String what) {
        for (ParameterLayout.Tensor t : ParameterLayout.gpt(cfg).tensors()) {
            double e2 = 0;
            double d2 = 0;
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                e2 += (double) expected[i] * expected[i];
                double d = (double) expected[i] - actual[i];
                d2 += d * d;
            }
            double bound = rel * Math.sqrt(e2) + 1e-12;
            assertTrue(Math.sqrt(d2) <= bound, what + ", " + t.name() + ": ‖Δ‖ " + Math.sqrt(d2) + " exceeds "
                    + rel + " × ‖expected‖ " + Math.sqrt(e2));
        }
    }
}
