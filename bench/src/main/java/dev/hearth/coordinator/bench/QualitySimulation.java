package dev.hearth.coordinator.bench;

import dev.hearth.coordinator.run.LrSchedule;
import dev.hearth.engine.data.Batch;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.CompressionStats;
import dev.hearth.engine.demo.DemoAggregator;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MalformedUpdateException;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.SignStep;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.RoundAggregation;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.model.TrainingBackend;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.HostLocalTrainer;
import dev.hearth.engine.train.LocalRound;
import dev.hearth.engine.train.LocalTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/// N DeMo nodes and their coordinator in one process, without the network: every node computes the gradient of
/// its own batch at the shared parameters, compresses it with its own {@link DemoCompressor} (its own residual),
/// the update goes through the real wire codec ({@link UpdateCodec#encode} then {@link UpdateCodec#decode}), and the
/// coordinator's code path follows: {@link DemoAggregator#aggregate} with token weights, {@link SignStep#ternary},
/// {@link SignStep#apply} with the run's {@link LrSchedule}. The same arithmetic as a real run, minus TLS, the
/// ledger, deadlines and the worker processes; {@link QualityBench} checks it against one real run.
///
/// The dense baseline ({@link #baseline}) trains the very same batch ids, round by round, as one global batch with
/// AdamW.
public final class QualitySimulation {

    /// Validation windows: the coordinator's own estimate (CoordinatorService.VALIDATION_WINDOWS, 32 × context).
    public static final int VALIDATION_WINDOWS = 32;
    /// Windows per validation forward pass (bounds activation memory), as the coordinator does.
    public static final int VALIDATION_BATCH = 8;

    /// Who trains in a round: node n is absent in rounds [leaveAt, rejoinAt) when n < leavers.
    public record Churn(int leavers, long leaveAt, long rejoinAt) {
        public static final Churn NONE = new Churn(0, 0, 0);

        boolean present(int node, long round) {
            return node >= leavers || round < leaveAt || round >= rejoinAt;
        }
    }

    /// One DeMo setting to simulate.
    ///
    /// @param demo        compressor + codec settings
    /// @param lr          the outer sign step's schedule
    /// @param weightDecay decoupled, per outer step
    /// @param experiments levers that are not in the product ({@link Experiments#NONE}: plain DeMo, as a run does)
    /// @param mean        the mean outer step (the run default), or null for the sign step; with it, `lr` and
    ///                    `weightDecay` are the inner AdamW's, per outer round
    public record Setting(DemoConfig demo, LrSchedule lr, double weightDecay, Experiments experiments, Mean mean) {
        public Setting(DemoConfig demo, LrSchedule lr, double weightDecay) {
            this(demo, lr, weightDecay, Experiments.NONE, null);
        }

        public Setting(DemoConfig demo, LrSchedule lr, double weightDecay, Experiments experiments) {
            this(demo, lr, weightDecay, experiments, null);
        }
    }

    /// The mean outer step as a run takes it (`optimizer.outer = "mean"`): every node takes `localSteps` inner
    /// AdamW steps per round, each on `seqsPerNode` windows (so a round covers `localSteps` of the baseline's
    /// steps), and sends the compressed pseudo-gradient; the coordinator applies {@link MeanStep} at `outerLr`.
    public record Mean(int localSteps, double outerLr) {}

    /// Simulation-only changes to DeMo's arithmetic, measured against the plain algorithm (docs/benchmarks.md,
    /// "the second session's levers"). Each is off at 0 / false.
    ///
    /// @param zeroBelow    before the sign, zero every direction value whose magnitude is below `zeroBelow × RMS` of
    ///                     its tensor
    /// @param precondition every node divides its gradient by the square root of its own running mean of squared
    ///                     gradients (decay `precondition`, Adam's second moment with bias correction) before
    ///                     compressing it
    /// @param signFeedback the coordinator keeps the part of the direction the sign step did not carry
    ///                     (`u − mean|u|·sign(u)` per tensor) and adds it to the next round's direction
    /// @param adamTernary  the coordinator keeps Adam's second moment of the direction (decay `adamTernary`) and sends
    ///                     `sign(d)` with probability `min(1, |d|/√v̂)`, else 0: Adam's `d/√v̂` in expectation
    /// @param lionBeta1    with `lionBeta2` > 0: the coordinator keeps a momentum `M` of the aggregated direction and
    ///                     steps by `sign(β₁·M + (1−β₁)·d)`, then `M ← β₂·M + (1−β₂)·d` (Lion's update)
    /// @param lionBeta2    0 = no coordinator momentum
    /// @param outerAdamW   the coordinator steps by AdamW (betas 0.9/0.99, the setting's lr and weight decay) with
    ///                     the aggregated direction as its gradient, instead of the sign step
    /// @param totalMean    each coefficient is the token-weighted mean over *all* updates of the round (a node that
    ///                     did not send it counts as 0: its residual still holds it), not over its senders only
    public record Experiments(double zeroBelow, double precondition, boolean signFeedback, double adamTernary,
                              double lionBeta1, double lionBeta2, boolean outerAdamW, boolean totalMean) {
        public static final Experiments NONE = new Experiments(0, 0, false, 0, 0, 0, false, false);
    }

    /// Result of one run: validation losses at the checkpoints, and the wire cost.
    ///
    /// @param valLoss       validation loss after the last round
    /// @param curve         validation loss every `evalEvery` rounds (index 0 = the initial parameters)
    /// @param meanUploadBytes mean encoded update size
    /// @param compression   dense fp32 bytes ÷ mean encoded update bytes
    /// @param seconds       wall time of the run
    public record Result(double valLoss, List<Double> curve, double meanUploadBytes, double compression,
                         double seconds) {}

    private final ModelConfig model;
    private final ParameterLayout layout;
    private final Corpus corpus;
    private final TrainingBackend backend;
    private final int nodes;
    private final int seqsPerNode;
    private final long rounds;
    private final long seed;
    private final int evalEvery;

    public QualitySimulation(ModelConfig model, Corpus corpus, TrainingBackend backend, int nodes, int seqsPerNode,
                             long rounds, long seed, int evalEvery) {
        this.model = model;
        this.layout = ParameterLayout.gpt(model);
        this.corpus = corpus;
        this.backend = backend;
        this.nodes = nodes;
        this.seqsPerNode = seqsPerNode;
        this.rounds = rounds;
        this.seed = seed;
        this.evalEvery = evalEvery;
    }

    public ParameterLayout layout() {
        return layout;
    }

    /// The batch ids of one node in one round: consecutive ids of the corpus's train windows (the corpus maps
    /// every id through its own seeded permutation, so consecutive ids are scattered text).
    public long[] batchIds(long round, int node) {
        long windows = corpus.trainWindows(model.context());
        long[] ids = new long[seqsPerNode];
        for (int j = 0; j < seqsPerNode; j++) {
            ids[j] = ((round * nodes + node) * seqsPerNode + j) % windows;
        }
        return ids;
    }

    /// Hearth's arithmetic over `rounds` rounds (the baseline's steps: with the mean step, `rounds / localSteps`
    /// outer rounds).
    public Result demo(Setting s, Churn churn) {
        if (s.mean() != null) {
            return demoMean(s, churn);
        }
        long t0 = System.nanoTime();
        float[] params = GptInit.init(model, seed);
        List<DemoCompressor> compressors = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            compressors.add(new DemoCompressor(layout, s.demo()));
        }
        float[] grad = new float[layout.size()];
        Experiments x = s.experiments();
        float[][] secondMoment = new float[x.precondition() > 0 ? nodes : 0][];
        long[] nodeSteps = new long[nodes];
        float[] feedback = x.signFeedback() ? new float[layout.size()] : null;
        float[] coordinatorMoment = x.adamTernary() > 0 ? new float[layout.size()] : null;
        float[] coordinatorMomentum = x.lionBeta2() > 0 ? new float[layout.size()] : null;
        AdamW outer = x.outerAdamW()
                ? new AdamW(layout, new AdamW.Settings(1e-3f, 0.9f, 0.99f, 1e-8f, (float) s.weightDecay()))
                : null;
        List<Double> curve = new ArrayList<>();
        curve.add(validationLoss(params));
        Wire wire = new Wire();
        for (long r = 0; r < rounds; r++) {
            List<SparseUpdate> updates = new ArrayList<>();
            List<Long> weights = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                if (!churn.present(n, r)) continue;
                Batch b = corpus.batch(batchIds(r, n), model.context());
                backend.lossAndGradient(params, b, grad);
                if (x.precondition() > 0) {
                    if (secondMoment[n] == null) secondMoment[n] = new float[layout.size()];
                    precondition(grad, secondMoment[n], (float) x.precondition(), ++nodeSteps[n]);
                }
                updates.add(wire.send(compressors.get(n), grad, s.demo()));
                weights.add(b.tokens());
            }
            long[] w = weights.stream().mapToLong(Long::longValue).toArray();
            float[] direction = x.totalMean() ? totalMean(s.demo(), updates, w)
                    : DemoAggregator.aggregate(layout, s.demo(), updates, w, RobustMode.NONE);
            if (outer != null) {
                outer.step(params, direction, (float) s.lr().at(r));
                if ((r + 1) % evalEvery == 0 || r + 1 == rounds) {
                    curve.add(validationLoss(params));
                }
                continue;
            }
            if (x.zeroBelow() > 0) zeroSmall(direction, x.zeroBelow());
            if (feedback != null) signFeedback(direction, feedback);
            if (coordinatorMomentum != null) {
                lion(direction, coordinatorMomentum, (float) x.lionBeta1(), (float) x.lionBeta2());
            }
            if (coordinatorMoment != null) {
                adamTernary(direction, coordinatorMoment, (float) x.adamTernary(), r + 1,
                        new SplittableRandom(seed * 1_000_003L + r));
            }
            try {
                SignStep.apply(layout, params, SignStep.ternary(direction), (float) s.lr().at(r),
                        (float) s.weightDecay());
            } catch (MalformedUpdateException e) {
                throw new IllegalStateException("a step packed here failed its own check", e);
            }
            if ((r + 1) % evalEvery == 0 || r + 1 == rounds) {
                curve.add(validationLoss(params));
            }
        }
        double mean = wire.meanBytes();
        return new Result(curve.getLast(), curve, mean, 4.0 * layout.size() / mean, seconds(t0));
    }

    /// The mean outer step with the product's code: each node's round is {@link LocalRound} (as the node's trainer
    /// runs it) over one {@link HostLocalTrainer} shared by the simulated nodes, each node's inner AdamW state swapped
    /// in and out around its round and its own {@link DemoCompressor} (the residual is the error feedback); the
    /// wire codec; then {@link RoundAggregation} with {@link MeanStep} (as the coordinator runs it). The inner rate is
    /// `s.lr()` at the outer round (a run sends one rate per round); node n is away in the outer rounds `churn`
    /// says. Compression is per token: one upload covers `localSteps` of the baseline's dense gradients.
    Result demoMean(Setting s, Churn churn) {
        long t0 = System.nanoTime();
        int h = s.mean().localSteps();
        float[] params = GptInit.init(model, seed);
        MeanStep rule = new MeanStep(h, s.mean().outerLr(), s.weightDecay());
        RoundAggregation aggregation = new RoundAggregation(rule, new DemoBlocking(layout, s.demo()), RobustMode.NONE);
        // One trainer for every simulated node: only the inner AdamW's moments are per node (swapped below), so
        // memory stays one model's working set plus two moments per node. Not closed: the backend is the caller's.
        LocalTrainer trainer = new HostLocalTrainer(backend, LocalRound.innerSettings((float) rule.innerWeightDecay()));
        LocalRound local = new LocalRound(trainer, seqsPerNode); // one pass per inner step, as before
        List<DemoCompressor> compressors = new ArrayList<>();
        List<LocalTrainer.AdamWState> inner = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            compressors.add(new DemoCompressor(layout, s.demo()));
            inner.add(new LocalTrainer.AdamWState(new float[layout.size()], new float[layout.size()], 0));
        }
        List<Double> curve = new ArrayList<>();
        curve.add(validationLoss(params));
        long outerRounds = rounds / h;
        Wire wire = new Wire();
        for (long o = 0; o < outerRounds; o++) {
            List<SparseUpdate> updates = new ArrayList<>();
            List<Long> weights = new ArrayList<>();
            float lr = (float) s.lr().at(o);
            for (int n = 0; n < nodes; n++) {
                if (!churn.present(n, o)) continue;
                List<long[]> steps = new ArrayList<>();
                for (int step = 0; step < h; step++) steps.add(batchIds(o * h + step, n));
                long[] ids = concat(steps);
                trainer.restoreOptimizerState(inner.get(n));
                SparseUpdate q = local.run(new LocalRound.Input(params, ids, h, lr), compressors.get(n),
                        windows -> corpus.batch(windows, model.context()), LocalRound.Progress.NONE).update();
                inner.set(n, trainer.optimizerState());
                updates.add(wire.send(q, s.demo()));
                weights.add((long) ids.length * model.context());
            }
            params = aggregation.run(RoundAggregation.Input.all(params, rule.commitLr(lr), updates,
                    weights.stream().mapToLong(Long::longValue).toArray()), RoundAggregation.SpotCheck.NONE).params();
            if (((o + 1) * h) % evalEvery < h || o + 1 == outerRounds) {
                curve.add(validationLoss(params));
            }
        }
        double mean = wire.meanBytes();
        return new Result(curve.getLast(), curve, mean / h, 4.0 * layout.size() * h / mean, seconds(t0));
    }

    /// The DiLoCo / SparseLoCo lever, simulated only (the node protocol sends one gradient's DeMo update per
    /// round): every node takes `localSteps` inner AdamW steps (its own optimizer state, kept across rounds) on
    /// `localSteps` consecutive rounds' worth of its batches, then sends the pseudo-gradient `θ_start − θ_local`
    /// through the same DeMo compressor (β-momentum = error feedback), codec and aggregator; the coordinator takes
    /// its usual sign step with `s.lr()`. The same tokens as {@link #demo} in `rounds / localSteps` outer rounds,
    /// so the traffic per token falls by `localSteps`.
    ///
    /// With `meanOuter` the coordinator applies the aggregated pseudo-gradient itself, `θ ← θ − lr·IDCT(Q)` (DiLoCo's
    /// outer SGD), instead of its sign; the inner AdamW has already normalised the step.
    public Result demoLocalSteps(Setting s, int localSteps, AdamW.Settings inner, LrSchedule innerLr,
                                 boolean meanOuter) {
        long t0 = System.nanoTime();
        float[] params = GptInit.init(model, seed);
        List<DemoCompressor> compressors = new ArrayList<>();
        List<AdamW> opts = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            compressors.add(new DemoCompressor(layout, s.demo()));
            opts.add(new AdamW(layout, inner));
        }
        float[] grad = new float[layout.size()];
        float[] delta = new float[layout.size()];
        List<Double> curve = new ArrayList<>();
        curve.add(validationLoss(params));
        long outerRounds = rounds / localSteps;
        Wire wire = new Wire();
        for (long o = 0; o < outerRounds; o++) {
            List<SparseUpdate> updates = new ArrayList<>();
            long[] weights = new long[nodes];
            for (int n = 0; n < nodes; n++) {
                float[] local = params.clone();
                long tokens = 0;
                for (int h = 0; h < localSteps; h++) {
                    long r = o * localSteps + h;
                    Batch b = corpus.batch(batchIds(r, n), model.context());
                    backend.lossAndGradient(local, b, grad);
                    opts.get(n).step(local, grad, (float) innerLr.at(r));
                    tokens += b.tokens();
                }
                for (int i = 0; i < delta.length; i++) delta[i] = params[i] - local[i];
                updates.add(wire.send(compressors.get(n), delta, s.demo()));
                weights[n] = tokens;
            }
            float[] direction = s.experiments().totalMean() ? totalMean(s.demo(), updates, weights)
                    : DemoAggregator.aggregate(layout, s.demo(), updates, weights, RobustMode.NONE);
            if (meanOuter) {
                float lr = (float) s.lr().at(o);
                for (int i = 0; i < params.length; i++) params[i] -= lr * direction[i];
            } else {
                try {
                    SignStep.apply(layout, params, SignStep.ternary(direction), (float) s.lr().at(o),
                            (float) s.weightDecay());
                } catch (MalformedUpdateException e) {
                    throw new IllegalStateException("a step packed here failed its own check", e);
                }
            }
            if (((o + 1) * localSteps) % evalEvery < localSteps || o + 1 == outerRounds) {
                curve.add(validationLoss(params));
            }
        }
        double mean = wire.meanBytes();
        // traffic per token against one dense fp32 gradient per round of the baseline
        return new Result(curve.getLast(), curve, mean / localSteps, 4.0 * layout.size() * localSteps / mean,
                seconds(t0));
    }

    /// The wire between the simulated nodes and the coordinator: every update is encoded and decoded as in a run
    /// ({@link UpdateCodec}), and its bytes counted.
    private final class Wire {
        private long bytes;
        private long uploads;

        SparseUpdate send(DemoCompressor compressor, float[] update, DemoConfig demo) {
            return send(compressor.compress(update), demo);
        }

        /// Sends an update compressed already (by a {@link LocalRound}).
        SparseUpdate send(SparseUpdate compressed, DemoConfig demo) {
            byte[] encoded = UpdateCodec.encode(compressed, demo.encoding());
            bytes += encoded.length;
            uploads++;
            try {
                return UpdateCodec.decode(encoded, layout, demo);
            } catch (MalformedUpdateException e) {
                throw new IllegalStateException("an update encoded here failed to decode", e);
            }
        }

        double meanBytes() {
            return (double) bytes / uploads;
        }
    }

    /// Dense AdamW on the same batch ids (per round, the union of the present nodes' batches as one batch).
    public Result baseline(AdamW.Settings adam, LrSchedule lr, Churn churn) {
        return baseline(adam, lr, churn, 1);
    }

    /// As {@link #baseline(AdamW.Settings, LrSchedule, Churn)}, with `churn` counted in rounds of `stepsPerRound`
    /// steps (the mean step's outer rounds).
    public Result baseline(AdamW.Settings adam, LrSchedule lr, Churn churn, int stepsPerRound) {
        long t0 = System.nanoTime();
        float[] params = GptInit.init(model, seed);
        AdamW opt = new AdamW(layout, adam);
        float[] grad = new float[layout.size()];
        List<Double> curve = new ArrayList<>();
        curve.add(validationLoss(params));
        for (long r = 0; r < rounds; r++) {
            List<long[]> parts = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                if (churn.present(n, r / stepsPerRound)) parts.add(batchIds(r, n));
            }
            backend.lossAndGradient(params, corpus.batch(concat(parts), model.context()), grad);
            opt.step(params, grad, (float) lr.at(r));
            if ((r + 1) % evalEvery == 0 || r + 1 == rounds) {
                curve.add(validationLoss(params));
            }
        }
        return new Result(curve.getLast(), curve, 4.0 * layout.size(), 1.0, seconds(t0));
    }

    /// Dense AdamW on explicitly given batch ids per round (the ones a real run committed).
    public Result baselineOn(List<long[]> idsPerRound, AdamW.Settings adam, LrSchedule lr) {
        long t0 = System.nanoTime();
        float[] params = GptInit.init(model, seed);
        AdamW opt = new AdamW(layout, adam);
        float[] grad = new float[layout.size()];
        List<Double> curve = new ArrayList<>();
        curve.add(validationLoss(params));
        for (int r = 0; r < idsPerRound.size(); r++) {
            backend.lossAndGradient(params, corpus.batch(idsPerRound.get(r), model.context()), grad);
            opt.step(params, grad, (float) lr.at(r));
            if ((r + 1) % evalEvery == 0 || r + 1 == idsPerRound.size()) {
                curve.add(validationLoss(params));
            }
        }
        return new Result(curve.getLast(), curve, 4.0 * layout.size(), 1.0, seconds(t0));
    }

    /// `Σ_u (w_u / W)·IDCT(q_u)`: every update counts at every coefficient, 0 where it sent nothing.
    float[] totalMean(DemoConfig demo, List<SparseUpdate> updates, long[] w) {
        long total = Arrays.stream(w).sum();
        float[] out = new float[layout.size()];
        for (int u = 0; u < updates.size(); u++) {
            float[] one = DemoAggregator.aggregate(layout, demo, List.of(updates.get(u)), new long[] {1},
                    RobustMode.NONE);
            float share = (float) ((double) w[u] / total);
            for (int i = 0; i < out.length; i++) out[i] += share * one[i];
        }
        return out;
    }

    /// Adam's second-moment normalisation of one node's gradient, in place: `v ← β₂v + (1−β₂)g²`,
    /// `g ← g / (√(v / (1−β₂ᵗ)) + ε)`.
    static void precondition(float[] g, float[] v, float beta2, long step) {
        float correction = (float) (1 - Math.pow(beta2, step));
        for (int i = 0; i < g.length; i++) {
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            g[i] = g[i] / ((float) Math.sqrt(v[i] / correction) + 1e-8f);
        }
    }

    /// Lion's update direction, in place: `d ← β₁·M + (1−β₁)·d` (the sign step takes its sign), and
    /// `M ← β₂·M + (1−β₂)·d` with the fresh `d`.
    static void lion(float[] d, float[] m, float beta1, float beta2) {
        for (int i = 0; i < d.length; i++) {
            float fresh = d[i];
            d[i] = beta1 * m[i] + (1 - beta1) * fresh;
            m[i] = beta2 * m[i] + (1 - beta2) * fresh;
        }
    }

    /// Adam-in-expectation ternary, in place: `v ← β₂v + (1−β₂)d²`, `d ← sign(d)` with probability
    /// `min(1, |d| / (√(v/(1−β₂ᵗ)) + ε))`, else 0.
    static void adamTernary(float[] d, float[] v, float beta2, long step, SplittableRandom random) {
        float correction = (float) (1 - Math.pow(beta2, step));
        for (int i = 0; i < d.length; i++) {
            v[i] = beta2 * v[i] + (1 - beta2) * d[i] * d[i];
            float ratio = Math.abs(d[i]) / ((float) Math.sqrt(v[i] / correction) + 1e-30f);
            d[i] = random.nextFloat() < ratio ? Math.signum(d[i]) : 0f;
        }
    }

    /// Error-feedback sign descent at the coordinator, in place: `u = d + e`, the step takes `sign(u)`, and `e`
    /// keeps `u − mean|u|·sign(u)` per tensor (what a magnitude-carrying sign would have missed).
    void signFeedback(float[] d, float[] e) {
        for (ParameterLayout.Tensor t : layout.tensors()) {
            double abs = 0;
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                d[i] += e[i];
                abs += Math.abs(d[i]);
            }
            float scale = (float) (abs / t.size());
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                e[i] = d[i] - scale * Math.signum(d[i]);
            }
        }
    }

    /// Zeroes, per tensor, the direction values below `factor × RMS` of the tensor (the sign step then leaves
    /// those parameters alone).
    void zeroSmall(float[] d, double factor) {
        for (ParameterLayout.Tensor t : layout.tensors()) {
            double sq = 0;
            for (int i = t.offset(); i < t.offset() + t.size(); i++) sq += (double) d[i] * d[i];
            float cut = (float) (factor * Math.sqrt(sq / t.size()));
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                if (Math.abs(d[i]) < cut) d[i] = 0f;
            }
        }
    }

    /// Mean loss over the coordinator's validation windows.
    public double validationLoss(float[] p) {
        int batches = VALIDATION_WINDOWS / VALIDATION_BATCH;
        double sum = 0;
        for (int i = 0; i < batches; i++) {
            sum += backend.loss(p, corpus.validationBatch(i, VALIDATION_BATCH, model.context()));
        }
        return sum / batches;
    }

    /// Encoded bytes of one update under `demo` for this layout (the size is fixed by the blocking and k).
    public CompressionStats compression(DemoConfig demo) {
        long bytes = UpdateCodec.encodedSize(new DemoCompressor(layout, demo).blocking(), demo.encoding());
        return CompressionStats.of(layout.size(), bytes);
    }

    static long[] concat(List<long[]> parts) {
        int n = parts.stream().mapToInt(a -> a.length).sum();
        long[] out = new long[n];
        int o = 0;
        for (long[] a : parts) {
            System.arraycopy(a, 0, out, o, a.length);
            o += a.length;
        }
        return out;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    @Override
    public String toString() {
        return nodes + " nodes × " + seqsPerNode + " windows × " + rounds + " rounds, model " + model.name()
                + " (" + layout.size() + " params), seed " + seed + ", batch ids " + Arrays.toString(batchIds(0, 0));
    }
}
