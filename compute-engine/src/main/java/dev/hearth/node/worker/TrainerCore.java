package dev.hearth.node.worker;

import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.Batch;
import dev.hearth.engine.train.HostLocalTrainer;
import dev.hearth.engine.train.LocalTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/// The trainer proper: parameters in, one DeMo-compressed update out. Runs inside the worker
/// child process ({@link WorkerMain}) or, for tests only, inside the node ({@link InProcessWorker}).
///
/// Two ways to make the update, set by the run ({@link WorkerSpec#localSteps}):
/// - **gradient** (0 local steps, the sign outer step): the mean gradient of the round's windows at the
///   round's parameters, folded into the DeMo momentum;
/// - **pseudo-gradient** (n ≥ 1, the mean outer step, SparseLoCo style): n inner AdamW steps on a local copy,
///   each on the next n-th of the round's windows, then `θ_start − θ_local` goes into the same compressor, whose
///   residual is then the error feedback.
///
/// Its state that matters is the DeMo residual and, with local steps, the inner AdamW's moments: both are saved
/// after every round and on shutdown, so a killed or paused worker resumes without losing them.
public final class TrainerCore implements AutoCloseable {

    /// Progress callback: windows done of total.
    public interface Progress {
        void update(int done, int total);
    }

    static final String MOMENTUM_FILE = "momentum.bin";
    /// The state array holding the DeMo residual in {@link #MOMENTUM_FILE}.
    static final String MOMENTUM_STATE = "demo.momentum";
    /// The inner AdamW's first and second moments and step count (one float) in {@link #MOMENTUM_FILE}.
    static final String INNER_M_STATE = "inner.m";
    static final String INNER_V_STATE = "inner.v";
    static final String INNER_STEPS_STATE = "inner.steps";
    /// The inner AdamW's betas and epsilon: nanoGPT's small-model defaults, the dense baseline's
    /// (docs/benchmarks.md, "Learning quality").
    public static final float INNER_BETA1 = 0.9f;
    public static final float INNER_BETA2 = 0.99f;
    public static final float INNER_EPS = 1e-8f;

    /// The DeMo residual saved by {@link #saveState}.
    static float[] readMomentum(Path file, int size) throws IOException {
        float[] m = Checkpoint.read(file).state().get(MOMENTUM_STATE);
        if (m == null || m.length != size) {
            throw new IOException(file + " holds no DeMo residual for this model; delete it to start with a zero residual");
        }
        return m;
    }

    private final WorkerSpec spec;
    private final ModelConfig config;
    private final ParameterLayout layout;
    private final LocalTrainer trainer;
    private final Corpus corpus;
    private final DemoCompressor compressor;
    private final ValueEncoding encoding;
    /// The round's update before compression: the mean gradient (sign step) or the pseudo-gradient (mean step).
    private final float[] grad;
    /// Whether the run takes local steps (the mean outer step): then the trainer's inner AdamW state is kept.
    private final boolean localSteps;
    private float[] params;
    private long paramsVersion = -1;

    public TrainerCore(WorkerSpec spec) throws IOException {
        this.spec = spec;
        this.config = ModelConfig.byName(spec.model());
        this.layout = ParameterLayout.gpt(config);
        Files.createDirectories(spec.stateDir());
        this.trainer = new HostLocalTrainer(BackendSelector.select(config).backend(),
                new AdamW.Settings(0f, INNER_BETA1, INNER_BETA2, INNER_EPS, spec.weightDecay()));
        this.corpus = Corpus.forWorker(spec.corpus(), spec.stateDir().resolve("corpus"));
        this.encoding = ValueEncoding.valueOf(spec.encoding());
        this.compressor = new DemoCompressor(layout, new DemoConfig(spec.beta(), spec.blockSize(), spec.topK(), encoding));
        this.grad = new float[layout.size()];
        this.localSteps = spec.localSteps() > 0;
        Path momentum = spec.stateDir().resolve(MOMENTUM_FILE);
        if (Files.exists(momentum)) {
            compressor.restoreMomentum(readMomentum(momentum, layout.size()));
            if (localSteps) restoreInner(momentum);
        }
    }

    public String backendDescription() {
        return trainer.description();
    }

    public TrainResult train(TrainJob job, Progress progress) throws IOException {
        long start = System.nanoTime();
        if (params == null || paramsVersion != job.version()) {
            Checkpoint loaded = Checkpoint.read(job.paramsFile());
            if (loaded.metadata().version() != job.version()) {
                throw new IOException("parameters file holds version " + loaded.metadata().version() + ", job wants "
                        + job.version());
            }
            params = loaded.paramsFor(config, job.paramsFile().toString());
            paramsVersion = job.version();
        }
        long[] ids = job.batchIds();
        if (ids.length == 0) throw new IllegalArgumentException("round " + job.round() + ": no batches assigned");
        double meanLoss; // over the round's windows (with local steps: each at the parameters it was trained at)
        trainer.load(params);
        if (!localSteps) {
            meanLoss = gradient(ids, 0, ids.length, progress, ids.length);
            trainer.readGradient(grad);
        } else {
            int steps = Math.min(spec.localSteps(), ids.length);
            double lossSum = 0;
            for (int h = 0; h < steps; h++) {
                int from = (int) ((long) h * ids.length / steps);
                int to = (int) ((long) (h + 1) * ids.length / steps);
                lossSum += gradient(ids, from, to, progress, ids.length) * (to - from);
                trainer.adamwStep(job.lr());
            }
            meanLoss = lossSum / ids.length;
            trainer.readPseudoGradient(grad); // θ_start − θ_local
        }
        SparseUpdate update = compressor.compress(grad);
        byte[] payload = UpdateCodec.encode(update, encoding);
        saveState(job.round());
        long tokens = (long) ids.length * config.context();
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new TrainResult(job.round(), payload, (float) meanLoss, tokens, millis,
                4.0 * layout.size() / payload.length);
    }

    /// The mean gradient of windows `ids[from, to)` at the trainer's working copy, accumulated in the trainer, in
    /// micro-batches; returns the mean loss of those windows. Progress counts from `from` of `total` windows.
    private double gradient(long[] ids, int from, int to, Progress progress, int total) {
        trainer.zeroGradient();
        double lossSum = 0;
        int count = to - from;
        int done = 0;
        int micro = Math.max(1, spec.microBatch());
        while (done < count) {
            int n = Math.min(micro, count - done);
            Batch batch = corpus.batch(Arrays.copyOfRange(ids, from + done, from + done + n), config.context());
            // Each micro-batch's gradient is a mean over its windows; weight it by its share of all windows.
            float loss = trainer.accumulateGradient(batch, (float) n / count);
            lossSum += (double) loss * n;
            done += n;
            progress.update(from + done, total);
        }
        return lossSum / count;
    }

    private void restoreInner(Path file) throws IOException {
        var state = Checkpoint.read(file).state();
        float[] m = state.get(INNER_M_STATE);
        float[] v = state.get(INNER_V_STATE);
        float[] steps = state.get(INNER_STEPS_STATE);
        if (m == null || v == null || steps == null) {
            return; // saved by a run without local steps: the inner optimizer starts fresh
        }
        if (m.length != layout.size() || v.length != layout.size() || steps.length != 1 || !(steps[0] >= 0)) {
            throw new IOException(file + " holds an inner optimizer state for another model; delete it to start"
                    + " with a fresh one");
        }
        trainer.restoreOptimizerState(new LocalTrainer.AdamWState(m, v, (long) steps[0]));
    }

    /// Persists the DeMo residual (atomically).
    public void saveState(long round) {
        try {
            new Checkpoint(new Checkpoint.Metadata(config.name(), ParameterLayout.FORMAT_VERSION, "trainer", round),
                    new float[0], !localSteps ? java.util.Map.of(MOMENTUM_STATE, compressor.momentum())
                    : innerState(trainer.optimizerState()))
                    .write(spec.stateDir().resolve(MOMENTUM_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("could not save the optimizer state in " + spec.stateDir(), e);
        }
    }

    private java.util.Map<String, float[]> innerState(LocalTrainer.AdamWState inner) {
        return java.util.Map.of(MOMENTUM_STATE, compressor.momentum(), INNER_M_STATE, inner.m(),
                INNER_V_STATE, inner.v(), INNER_STEPS_STATE, new float[] {inner.steps()});
    }

    @Override
    public void close() {
        trainer.close();
    }
}
