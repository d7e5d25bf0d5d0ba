package dev.hearth.node.worker;

import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.backend.DeviceSetting;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.engine.cuda.CudaException;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.MalformedUpdateException;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.recipe.RunRecipe;
import dev.hearth.engine.train.DutyCycle;
import dev.hearth.engine.train.LocalRound;
import dev.hearth.engine.train.LocalTrainer;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/// The trainer proper: parameters in, one DeMo-compressed update out. Runs inside the worker
/// child process ({@link WorkerMain}) or, for tests only, inside the node ({@link InProcessWorker}).
///
/// The round itself is {@link LocalRound} (gradient with 0 local steps, pseudo-gradient of
/// {@link WorkerSpec#localSteps} inner AdamW steps otherwise) over a {@link HostLocalTrainer}; this class adds the
/// worker's side: the parameters (from the node's file, or advanced in memory by the commits the node forwards),
/// the corpus, the wire encoding and the state file.
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
    /// Chose the trainer, and chooses again after the GPU runs out of memory.
    private final BackendSelector selector;
    private BackendSelector.TrainerSelection selection;
    private LocalTrainer trainer;
    /// The local round over {@link #trainer}, at the trainer's micro-batch (the spec's, or less where the GPU
    /// holds fewer).
    private LocalRound round;
    /// The CPU trainer's duty cycle under the owner's CPU percentage; null on a GPU or without a limit.
    private DutyCycle duty;
    private final Corpus corpus;
    private final DemoCompressor compressor;
    private final ValueEncoding encoding;
    /// Whether the run takes local steps (the mean outer step): then the trainer's inner AdamW state is kept.
    private final boolean localSteps;
    private float[] params;
    private long paramsVersion = -1;
    /// The run config the last commit came with, and the rule and blocking made from it (once per run, not per
    /// commit).
    private RunConfig commitRun;
    private OuterRule commitRule;
    private DemoBlocking commitBlocking;

    public TrainerCore(WorkerSpec spec) throws IOException {
        this(spec, BackendSelector.INSTALLED_DRIVER);
    }

    /// @param drivers the CUDA driver to try (the installed one; the CPU emulator of it in tests)
    TrainerCore(WorkerSpec spec, BackendSelector.DriverSource drivers) throws IOException {
        this.spec = spec;
        this.config = spec.model();
        this.layout = ParameterLayout.gpt(config);
        Files.createDirectories(spec.stateDir());
        this.selector = new BackendSelector(config,
                LocalRound.innerSettings(spec.weightDecay()),
                spec.localSteps() > 0, spec.cpuThreads(), drivers, System.err::println);
        use(selector.select(DeviceSetting.parse(spec.device()), spec.microBatch()));
        this.corpus = Corpus.forWorker(spec.corpus(), spec.stateDir().resolve("corpus"));
        this.encoding = spec.demo().encoding();
        this.compressor = new DemoCompressor(layout, spec.demo());
        this.localSteps = spec.localSteps() > 0;
        Path momentum = spec.stateDir().resolve(MOMENTUM_FILE);
        if (Files.exists(momentum)) {
            compressor.restoreMomentum(readMomentum(momentum, layout.size()));
        }
        restoreInnerState();
    }

    /// Where this trainer trains and why (the owner reads it on the dashboard and in `./hearth status`).
    public String backendDescription() {
        return selection.description();
    }

    /// One round; on CUDA_ERROR_OUT_OF_MEMORY the round starts over at half the micro-batch (the trainer rebuilt,
    /// its inner AdamW state restored from the last round's save), down to 1, then on the CPU for the rest of
    /// this worker's life. Terminates: each retry halves the micro-batch or leaves the GPU.
    public TrainResult train(TrainJob job, Progress progress) throws IOException {
        while (true) {
            try {
                return trainRound(job, progress);
            } catch (CudaException e) {
                if (!e.isOutOfMemory()) throw e;
                replaceAfterOutOfMemory(e);
                restoreInnerState();
            }
        }
    }

    /// The model version of the parameters held in memory, or -1 when none are (before the first round, after a
    /// refused commit): a round at another version reads the job's parameters file.
    public long paramsVersion() {
        return params == null ? -1 : paramsVersion;
    }

    /// Applies a commit the node verified to the parameters held in memory, with the very code the node applies it
    /// with ({@link RunRecipe#fromWire}, {@link RunRecipe#blocking}, {@link OuterRule#applyCommit}), then checks
    /// their SHA-256 against the commit's. Refused (and the node then writes the full parameters file) when no
    /// parameters are held, when they are not the version the commit steps from, when the step does not fit, or when
    /// the digest differs; after a differing digest the parameters are dropped, so the next round reads the file.
    public CommitOutcome applyCommit(RunConfig run, RoundCommit commit) {
        long next = commit.getNewVersion();
        if (params == null) return CommitOutcome.refused(next, "the trainer holds no parameters yet");
        if (paramsVersion != next - 1) {
            return CommitOutcome.refused(next, "the trainer holds version " + paramsVersion + " but the commit of round "
                    + commit.getRound() + " steps from version " + (next - 1) + " (it missed a version)");
        }
        if (!run.getModel().equals(config.name())) {
            return CommitOutcome.refused(next, "the commit is for model " + run.getModel() + ", the trainer trains "
                    + config.name());
        }
        try {
            if (!run.equals(commitRun)) {
                RunRecipe recipe = RunRecipe.fromWire(run);
                commitRule = recipe.outer();
                commitBlocking = recipe.blocking(layout);
                commitRun = run;
            }
            commitRule.applyCommit(commitBlocking, params, commit);
        } catch (MalformedUpdateException | IllegalArgumentException e) {
            // nothing was applied: the parameters still are version next - 1
            return CommitOutcome.refused(next, "the commit of round " + commit.getRound() + " is unusable: "
                    + e.getMessage());
        }
        byte[] digest = ParamsDigest.sha256(params);
        if (!Arrays.equals(digest, commit.getParamsSha256().toByteArray())) {
            params = null;
            paramsVersion = -1;
            return CommitOutcome.refused(next, "after the commit of round " + commit.getRound()
                    + " the parameters' SHA-256 differs from the commit's");
        }
        paramsVersion = next;
        return CommitOutcome.applied(next, digest);
    }

    private TrainResult trainRound(TrainJob job, Progress progress) throws IOException {
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
        long sleptBefore = duty == null ? 0 : duty.sleptNanos();
        LocalRound.Result result = round.run(new LocalRound.Input(params, ids, spec.localSteps(), job.lr()), compressor,
                windows -> corpus.batch(windows, config.context()), progress::update);
        byte[] payload = UpdateCodec.encode(result.update(), encoding);
        saveState(job.round());
        long tokens = (long) ids.length * config.context();
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (duty != null) {
            System.err.println("round " + job.round() + ": slept " + (duty.sleptNanos() - sleptBefore) / 1_000_000
                    + " ms of " + millis + " ms to stay under " + duty);
        }
        return new TrainResult(job.round(), payload, (float) result.meanLoss(), tokens, millis,
                4.0 * layout.size() / payload.length);
    }

    /// On the CPU the round keeps to the owner's share of the cores ({@link DutyCycle}); a GPU trainer's CPU thread
    /// mostly waits on the card, so it is not paced.
    private void use(BackendSelector.TrainerSelection chosen) {
        selection = chosen;
        trainer = chosen.trainer();
        duty = null;
        if (!chosen.onGpu() && spec.cpuPercent() < 100) {
            duty = new DutyCycle(spec.cpuPercent(), spec.cpuThreads(), DutyCycle.PROCESS);
            System.err.println("keeping the CPU trainer under " + duty + " (sleeping between micro-batches)");
        }
        round = new LocalRound(trainer, Math.max(1, chosen.microBatch()), duty == null ? LocalRound.Pace.NONE : duty);
    }

    /// Frees the GPU trainer that ran out of memory and takes what the selector chooses next.
    private void replaceAfterOutOfMemory(CudaException e) {
        trainer.close(); // first: its memory is what the next attempt needs
        use(selector.afterOutOfMemory(selection, e));
    }

    /// With local steps, the inner AdamW's state as of the last completed round (saved after every round, so a
    /// round redone after an out-of-memory starts from the same state); restoring may itself run out of memory
    /// on the card (the moments are allocated then), which is handled the same way.
    private void restoreInnerState() throws IOException {
        Path momentum = spec.stateDir().resolve(MOMENTUM_FILE);
        while (true) {
            try {
                if (localSteps && Files.exists(momentum)) restoreInner(momentum);
                return;
            } catch (CudaException e) {
                if (!e.isOutOfMemory()) throw e;
                replaceAfterOutOfMemory(e);
            }
        }
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
