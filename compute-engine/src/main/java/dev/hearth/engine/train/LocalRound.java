package dev.hearth.engine.train;

import dev.hearth.engine.data.Batch;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.SparseUpdate;
import java.util.Arrays;

/// A node's local round, written once for every holder of a model copy that trains (the node's trainer, the quality
/// simulation, the benches' protocol-level nodes): the round's parameters and windows in, the DeMo-compressed
/// update out, over any {@link LocalTrainer} (host arrays or a GPU; nothing here knows which).
///
/// Two ways to make the update, as the run's outer step says ({@code OuterRule.localSteps()}):
/// - **gradient** (0 local steps, the sign step): the mean gradient of all the round's windows at the round's
///   parameters;
/// - **pseudo-gradient** (n ≥ 1, the mean step, SparseLoCo style): n inner AdamW steps on the trainer's working
///   copy, step h on the h-th of n equal shares of the windows, then `θ_start − θ_local`.
///
/// Either goes into the node's {@link DemoCompressor}, whose residual is the round's error feedback.
///
/// The round's state is the compressor's residual and the trainer's inner AdamW moments: the compressor is given
/// per round, the moments live in the trainer ({@link LocalTrainer#optimizerState()} reads them out, so several
/// simulated nodes can share one trainer); both move forward by one round per {@link #run}, and whoever persists
/// them (the worker) reads them there after the round. Not thread-safe, like the trainer and the compressor.
public final class LocalRound {

    /// The inner AdamW's betas and epsilon: nanoGPT's small-model defaults, the dense baseline's (docs/benchmarks.md,
    /// "Learning quality"). Its rate comes per round (RoundStart.lr), its decay from the run.
    public static final float INNER_BETA1 = 0.9f;
    public static final float INNER_BETA2 = 0.99f;
    public static final float INNER_EPS = 1e-8f;

    /// Makes the batch of a run's window ids (the corpus, read on the caller's side).
    @FunctionalInterface
    public interface Batches {
        Batch of(long[] windowIds);
    }

    /// Progress callback: windows done of total.
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> { };

        void update(int done, int total);
    }

    /// What the round does between micro-batches: nothing, or keep the CPU trainer under the owner's share of the
    /// CPU ({@link DutyCycle}).
    public interface Pace {
        Pace NONE = new Pace() {
            @Override
            public void start() {}

            @Override
            public void afterMicroBatch() {}
        };

        /// The round begins.
        void start();

        /// A micro-batch's gradient was accumulated.
        void afterMicroBatch();
    }

    /// One round's inputs.
    ///
    /// @param params     the round's parameters (not modified)
    /// @param ids        the round's window ids, at least one
    /// @param localSteps 0 for the gradient; n ≥ 1 for min(n, windows) inner AdamW steps
    /// @param lr         the inner AdamW's rate this round (unused without local steps)
    public record Input(float[] params, long[] ids, int localSteps, float lr) {
        public Input {
            if (ids.length == 0) throw new IllegalArgumentException("a local round needs at least one window");
            if (localSteps < 0) throw new IllegalArgumentException("local steps must be ≥ 0, got " + localSteps);
        }
    }

    /// What one round produced.
    ///
    /// @param update   the compressed update at full precision (encode it for the wire with the run's encoding)
    /// @param meanLoss mean loss over the round's windows (with local steps: each at the parameters it was trained at)
    public record Result(SparseUpdate update, double meanLoss) {}

    /// The inner AdamW's settings for a run whose inner decay is `weightDecay` (the rate is given per step).
    public static AdamW.Settings innerSettings(float weightDecay) {
        return new AdamW.Settings(0f, INNER_BETA1, INNER_BETA2, INNER_EPS, weightDecay);
    }

    private final LocalTrainer trainer;
    private final int microBatch;
    private final Pace pace;
    /// The round's update before compression: the mean gradient or the pseudo-gradient.
    private final float[] update;

    /// @param microBatch windows per forward/backward pass (bounds activation memory), ≥ 1
    public LocalRound(LocalTrainer trainer, int microBatch) {
        this(trainer, microBatch, Pace.NONE);
    }

    /// @param pace what happens between micro-batches (the CPU trainer's duty cycle)
    public LocalRound(LocalTrainer trainer, int microBatch, Pace pace) {
        if (microBatch < 1) throw new IllegalArgumentException("micro-batches hold ≥ 1 window, got " + microBatch);
        this.trainer = trainer;
        this.microBatch = microBatch;
        this.pace = java.util.Objects.requireNonNull(pace, "pace");
        this.update = new float[trainer.layout().size()];
    }

    /// Trains one round and compresses its update with `residual` (the node's compressor, advanced by one step).
    ///
    /// @throws IllegalArgumentException if the compressor is for another model, or as the trainer and compressor do
    public Result run(Input in, DemoCompressor residual, Batches batches, Progress progress) {
        if (residual.blocking().paramCount() != update.length) {
            throw new IllegalArgumentException("compressor of " + residual.blocking().paramCount()
                    + " parameters for a trainer of " + update.length);
        }
        long[] ids = in.ids();
        int localSteps = in.localSteps();
        float lr = in.lr();
        double meanLoss;
        pace.start();
        trainer.load(in.params());
        if (localSteps == 0) {
            meanLoss = gradient(ids, 0, ids.length, batches, progress);
            trainer.readGradient(update);
        } else {
            int steps = Math.min(localSteps, ids.length);
            double lossSum = 0;
            for (int h = 0; h < steps; h++) {
                int from = (int) ((long) h * ids.length / steps);
                int to = (int) ((long) (h + 1) * ids.length / steps);
                lossSum += gradient(ids, from, to, batches, progress) * (to - from);
                trainer.adamwStep(lr);
            }
            meanLoss = lossSum / ids.length;
            trainer.readPseudoGradient(update); // θ_start − θ_local
        }
        return new Result(residual.compress(update), meanLoss);
    }

    /// The mean gradient of windows `ids[from, to)` at the trainer's working copy, accumulated in the trainer, in
    /// micro-batches; returns the mean loss of those windows. Progress counts from `from` of all the round's windows.
    private double gradient(long[] ids, int from, int to, Batches batches, Progress progress) {
        trainer.zeroGradient();
        double lossSum = 0;
        int count = to - from;
        int done = 0;
        while (done < count) {
            int n = Math.min(microBatch, count - done);
            Batch batch = batches.of(Arrays.copyOfRange(ids, from + done, from + done + n));
            // Each micro-batch's gradient is a mean over its windows; weight it by its share of all windows.
            float loss = trainer.accumulateGradient(batch, (float) n / count);
            lossSum += (double) loss * n;
            done += n;
            progress.update(from + done, ids.length);
            pace.afterMicroBatch();
        }
        return lossSum / count;
    }
}
