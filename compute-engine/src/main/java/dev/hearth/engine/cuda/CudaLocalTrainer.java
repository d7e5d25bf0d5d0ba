package dev.hearth.engine.cuda;

import dev.hearth.engine.data.Batch;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.LocalTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/// {@link LocalTrainer} on an NVIDIA GPU through Hearth's own kernels ({@link Kernels}, PTX JIT-compiled by the
/// driver) and the FFM driver binding ({@link CudaDriver}): the same arithmetic as
/// {@link dev.hearth.engine.train.HostLocalTrainer} over {@link dev.hearth.engine.model.GptCpuBackend} and
/// {@link AdamW}.
///
/// What stays on the device for the whole round: the working θ, the round's start θ, the accumulated gradient,
/// one micro-batch's gradient, the inner AdamW's two moments (made on first use, as the host trainer does, so a
/// round without local steps never holds them) and every activation. What crosses the bus: θ once in
/// ({@link #load}), each batch's tokens and its loss (8 bytes) per micro-batch, and one vector out per round
/// ({@link #readGradient} or {@link #readPseudoGradient}); {@link #optimizerState} when the worker saves.
/// Buffers are allocated once for the micro-batch given to {@link #open} (a batch of more windows reallocates
/// the activations once, for the new size); nothing is allocated per step.
///
/// Errors: every driver call and kernel launch is checked by the binding; a fault inside a kernel surfaces as a
/// {@link CudaException} at the next synchronizing call (each micro-batch synchronizes once, to read its loss).
/// Running out of device memory is a {@link CudaException} whose {@link CudaException#isOutOfMemory()} is true,
/// from {@link #open} or from the first {@link #adamwStep} (the moments), so the caller can retry at half the
/// micro-batch or fall back to the CPU.
///
/// Deterministic: no kernel uses atomics or a launch-dependent reduction order, so the same inputs give the
/// same bits on the same card and driver. Not thread-safe: one trainer thread drives it.
public final class CudaLocalTrainer implements LocalTrainer {

    private final CudaContext context;
    private final DeviceInfo device;
    private final KernelLauncher launcher;
    private final ModelConfig config;
    private final ParameterLayout layout;
    private final AdamW.Settings innerSettings;
    private final int size;
    private final List<DecayRun> decayRuns;
    private final DeviceBuffer params;
    private final DeviceBuffer start;
    private final DeviceBuffer grad;
    private final DeviceBuffer microGrad;
    private DeviceBuffer m;
    private DeviceBuffer v;
    private long adamSteps;
    private CudaGpt gpt;

    /// A run of adjacent tensors that AdamW decays alike (matrices and embeddings decay; biases, layer norms not):
    /// one launch each, ~8 per block instead of one per tensor.
    private record DecayRun(int offset, int count, boolean decays) {
    }

    private CudaLocalTrainer(CudaContext context, DeviceInfo device, ModelConfig config, int microBatch,
                             AdamW.Settings inner) {
        this.context = context;
        this.device = device;
        this.config = config;
        this.layout = ParameterLayout.gpt(config);
        this.innerSettings = inner;
        this.size = layout.size();
        this.decayRuns = decayRuns(layout);
        this.launcher = new KernelLauncher(context);
        long bytes = (long) size * Float.BYTES;
        this.params = context.alloc(bytes);
        this.start = context.alloc(bytes);
        this.grad = context.alloc(bytes);
        this.microGrad = context.alloc(bytes);
        this.gpt = new CudaGpt(context, launcher, config, layout, microBatch, device.multiprocessors());
    }

    /// Opens device `deviceOrdinal`'s context, loads the kernels and allocates everything a round at
    /// `microBatch` windows of the model's context needs. The trainer owns the context and releases it on
    /// {@link #close()} (so the card's memory returns to its idle level).
    ///
    /// @param inner the inner AdamW's settings (its `lr` is unused: each step is given its rate)
    /// @throws CudaException on any driver failure; {@link CudaException#isOutOfMemory()} when the card lacks the
    ///                       memory for this model at this micro-batch
    public static CudaLocalTrainer open(CudaDriver driver, int deviceOrdinal, ModelConfig config, int microBatch,
                                        AdamW.Settings inner) {
        if (microBatch < 1) {
            throw new IllegalArgumentException("micro-batch of " + microBatch + " windows; at least 1");
        }
        DeviceInfo device = driver.device(deviceOrdinal);
        CudaContext context = driver.open(deviceOrdinal);
        try {
            return new CudaLocalTrainer(context, device, config, microBatch, inner);
        } catch (RuntimeException e) {
            try {
                context.close(); // frees whatever was allocated before the failure
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /// Device memory this trainer allocates for `config` at `microBatch` windows, without the AdamW moments
    /// ({@link #momentBytes}) and without the driver's own context and module overhead.
    public static long deviceBytes(ModelConfig config, int microBatch) {
        return 4L * ParameterLayout.gpt(config).size() * Float.BYTES + new ActivationPlan(config, microBatch).bytes();
    }

    /// Device memory of the inner AdamW's two moments, allocated at the first {@link #adamwStep}.
    public static long momentBytes(ModelConfig config) {
        return 2L * ParameterLayout.gpt(config).size() * Float.BYTES;
    }

    private static List<DecayRun> decayRuns(ParameterLayout layout) {
        List<DecayRun> runs = new ArrayList<>();
        for (ParameterLayout.Tensor t : layout.tensors()) {
            boolean decays = t.isMatrix(); // AdamW.java's rule
            DecayRun last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last.decays() == decays && last.offset() + last.count() == t.offset()) {
                runs.set(runs.size() - 1, new DecayRun(last.offset(), last.count() + t.size(), decays));
            } else {
                runs.add(new DecayRun(t.offset(), t.size(), decays));
            }
        }
        return runs;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public ParameterLayout layout() {
        return layout;
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "CUDA on %s (compute capability %s, %d MiB), Hearth's fp32 kernels",
                device.name(), device.computeCapability(), device.totalBytes() >> 20);
    }

    /// The model's launches and activations (for the tests that look inside the forward and backward).
    CudaGpt gpt() {
        return gpt;
    }

    /// Device address of the working θ (what {@link CudaGpt}'s launches read).
    long parameterAddress() {
        return params.address();
    }

    /// The micro-batch (windows) the activations are allocated for.
    public int microBatch() {
        return gpt.capacity();
    }

    @Override
    public void load(float[] theta) {
        requireSize("parameters", theta);
        params.upload(theta, 0, 0, size);
        start.upload(theta, 0, 0, size);
    }

    @Override
    public void zeroGradient() {
        launcher.elementwise(Kernels.ZERO_FILL, size, grad, size);
    }

    @Override
    public float accumulateGradient(Batch batch, float weight) {
        prepare(batch);
        int n = batch.size() * batch.context();
        gpt.forward(params.address(), batch.size(), batch.context());
        gpt.queueLossSum(n);
        gpt.backward(params.address(), microGrad.address(), batch.size(), batch.context());
        launcher.elementwise(Kernels.ACCUMULATE, size, grad, microGrad, size, weight);
        return (float) (gpt.downloadSum() / n);
    }

    /// Mean cross-entropy of `batch` at the working θ, forward only (validation).
    public float loss(Batch batch) {
        prepare(batch);
        int n = batch.size() * batch.context();
        gpt.forward(params.address(), batch.size(), batch.context());
        gpt.queueLossSum(n);
        return (float) (gpt.downloadSum() / n);
    }

    /// The L2 norm of the accumulated gradient, summed in double on the device (as
    /// {@link dev.hearth.engine.train.GradientClip#norm}); 8 bytes cross the bus.
    public double gradientNorm() {
        gpt.queueSumOfSquares(grad.address(), size);
        return Math.sqrt(gpt.downloadSum());
    }

    /// Checks the batch as the CPU engine does (a token outside the vocabulary would read outside `wte` on the
    /// device), grows the activations if the batch has more windows than they hold, and uploads its tokens.
    private void prepare(Batch batch) {
        if (batch.context() > config.context()) {
            throw new IllegalArgumentException("batch context " + batch.context() + " exceeds model context "
                    + config.context());
        }
        int vocab = config.vocab();
        for (int i = 0; i < batch.inputs().length; i++) {
            int x = batch.inputs()[i];
            int y = batch.targets()[i];
            if (x < 0 || x >= vocab || y < 0 || y >= vocab) {
                throw new IllegalArgumentException("token out of vocabulary [0," + vocab + ") at position " + i);
            }
        }
        if (batch.size() > gpt.capacity()) {
            launcher.stream().synchronize(); // the old activations may still be in use by queued kernels
            int grown = batch.size();
            gpt.close();
            gpt = null;
            gpt = new CudaGpt(context, launcher, config, layout, grown, device.multiprocessors());
        }
        gpt.uploadTokens(batch.inputs(), batch.targets());
    }

    @Override
    public void readGradient(float[] out) {
        requireSize("gradient output", out);
        launcher.stream().synchronize();
        grad.download(0, out, 0, size);
    }

    @Override
    public void adamwStep(float lr) {
        moments();
        adamSteps++;
        // AdamW.step's scalars, computed the same way in the same precision
        float b1 = innerSettings.beta1();
        float b2 = innerSettings.beta2();
        float bc1 = (float) (1 - Math.pow(b1, adamSteps));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(b2, adamSteps));
        float stepSize = lr / bc1;
        float eps = innerSettings.eps();
        float decayFactor = 1f - lr * innerSettings.weightDecay();
        for (DecayRun r : decayRuns) {
            long byteOffset = (long) r.offset() * Float.BYTES;
            launcher.elementwise(Kernels.ADAMW, r.count(),
                    params.address() + byteOffset, grad.address() + byteOffset,
                    m.address() + byteOffset, v.address() + byteOffset, r.count(),
                    b1, b2, eps, stepSize, bc2Sqrt, r.decays() ? decayFactor : 1f);
        }
    }

    @Override
    public void readPseudoGradient(float[] out) {
        requireSize("pseudo-gradient output", out);
        // the micro-batch gradient's buffer is free between micro-batches: the difference is formed there
        launcher.elementwise(Kernels.PSEUDO_GRADIENT, size, microGrad, start, params, size);
        launcher.stream().synchronize();
        microGrad.download(0, out, 0, size);
    }

    /// Copies the working θ into `out` (tests and checkpoints; not part of a round).
    public void readParameters(float[] out) {
        requireSize("parameter output", out);
        launcher.stream().synchronize();
        params.download(0, out, 0, size);
    }

    @Override
    public AdamWState optimizerState() {
        moments();
        float[] mh = new float[size];
        float[] vh = new float[size];
        launcher.stream().synchronize();
        m.download(0, mh, 0, size);
        v.download(0, vh, 0, size);
        return new AdamWState(mh, vh, adamSteps);
    }

    @Override
    public void restoreOptimizerState(AdamWState state) {
        if (state.m().length != size || state.steps() < 0) {
            throw new IllegalArgumentException("AdamW state does not match " + size + " parameters");
        }
        moments();
        m.upload(state.m(), 0, 0, size);
        v.upload(state.v(), 0, 0, size);
        adamSteps = state.steps();
    }

    /// Allocates and zeroes the moments on first use (a fresh AdamW's state).
    private void moments() {
        if (m == null) {
            long bytes = (long) size * Float.BYTES;
            m = context.alloc(bytes);
            v = context.alloc(bytes);
            launcher.elementwise(Kernels.ZERO_FILL, size, m, size);
            launcher.elementwise(Kernels.ZERO_FILL, size, v, size);
        }
    }

    private void requireSize(String what, float[] a) {
        if (a.length != size) {
            throw new IllegalArgumentException(what + " of " + a.length + " values for a model of " + size);
        }
    }

    /// Frees every buffer and releases the context (the card's memory returns to its idle level).
    @Override
    public void close() {
        context.close();
    }
}
