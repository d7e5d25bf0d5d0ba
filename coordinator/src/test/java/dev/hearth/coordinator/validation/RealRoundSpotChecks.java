package dev.hearth.coordinator.validation;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MalformedUpdateException;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.RoundAggregation;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.model.TrainingBackend;
import dev.hearth.engine.train.HostLocalTrainer;
import dev.hearth.engine.train.LocalRound;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;

/// Issue 14, point 3, the core of the Byzantine case in-process, for either outer step (`MeanStepSpotCheckTest`,
/// `SignStepSpotCheckTest`): real nodes' rounds on `nano` (the rule's local steps or its one gradient, DeMo
/// compression with each node's own residual, the update encoded and decoded as it travels), aggregated by the
/// coordinator's [RoundAggregation] with every update spot-checked on its own batch by the coordinator's rule
/// ([SpotCheckPolicy#passRound], with the relative rule where the outer rule compares gaps). Node [#CHEATER] flips
/// the sign of its update and node [#RANDOM] sends random values at its real update's indices with the real
/// magnitudes (the bench's `random` attack); the others are honest.
final class RealRoundSpotChecks {

    /// Node 0 flips its sign.
    static final int CHEATER = 0;
    /// Node 1 sends random values at its update's indices, each of its real value's magnitude times a Gaussian.
    static final int RANDOM = 1;
    /// The random node's seed (fixed: the test is deterministic).
    static final long RANDOM_SEED = 14;

    /// What the rounds' spot checks found.
    ///
    /// @param honestChecks   checks of honest updates
    /// @param honestFailures the honest checks that failed, described
    /// @param honestRise     mean relative loss change of the honest updates on their own batches, at the check's rate
    /// @param cheaterFailed  rounds whose sign-flipped update failed its check
    /// @param randomFailed   rounds whose random update failed its check
    /// @param randomPassed   the random checks that passed, described
    /// @param gapsOverMedian per round, each check's antithetic gap over the round's (lower) median, node order
    /// @param honestEvenOverOdd the largest over the honest checks of the loss change's even part over its odd part,
    ///                       `|after + negated − 2·before| / (negated − after)`: how far the probe is from first order
    /// @param screenedCheaters rounds whose agreement screen ([UpdateAgreement#screen], at the rule's fraction, no
    ///                       spot check) dropped exactly the flipped and the random update
    /// @param screens        per round, the screen's agreements (node order) and drops, for the failure messages
    record Outcome(int honestChecks, List<String> honestFailures, double honestRise, int cheaterFailed,
                   int randomFailed, List<String> randomPassed, List<String> gapsOverMedian,
                   double honestEvenOverOdd, int screenedCheaters, List<String> screens) {
    }

    private RealRoundSpotChecks() {
    }

    /// Runs `rounds` rounds of `nodes` nodes with `windows` windows each under the run config `optimizer` (the
    /// `[optimizer]` table's lines), every update checked.
    static Outcome run(Path dir, String optimizer, int nodes, int rounds, int windows) throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "spot-check-share"
                seed = 7
                [data]
                sequences_per_node = %d
                [optimizer]
                %s
                """.formatted(windows, optimizer), "test", Map.of());
        ModelConfig model = config.recipe().model();
        ParameterLayout layout = ParameterLayout.gpt(model);
        DemoConfig demo = config.recipe().demo();
        DemoBlocking blocking = config.recipe().blocking(layout);
        OuterRule rule = config.recipe().outer();
        RoundAggregation aggregation = new RoundAggregation(rule, blocking, RobustMode.NONE);
        Corpus corpus = Corpus.bundled(dir.resolve("corpus"));
        float lr = (float) config.lrSchedule().at(0);
        float commitLr = rule.commitLr(lr);

        int honestChecks = 0;
        double honestRise = 0;
        int cheaterFailed = 0;
        int randomFailed = 0;
        double evenOverOdd = 0;
        Random random = new Random(RANDOM_SEED);
        List<String> honestFailures = new ArrayList<>();
        List<String> randomPassed = new ArrayList<>();
        int screenedCheaters = 0;
        List<String> screens = new ArrayList<>();
        List<String> gapsOverMedian = new ArrayList<>();
        try (TrainingBackend backend = BackendSelector.select(model).backend()) {
            List<LocalRound> locals = new ArrayList<>();
            List<DemoCompressor> residuals = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                locals.add(new LocalRound(new HostLocalTrainer(backend,
                        LocalRound.innerSettings((float) rule.innerWeightDecay())), Integer.MAX_VALUE));
                residuals.add(new DemoCompressor(layout, demo));
            }
            float[] params = GptInit.init(model, config.recipe().dataSeed());
            for (int round = 0; round < rounds; round++) {
                List<SparseUpdate> updates = new ArrayList<>();
                List<long[]> batches = new ArrayList<>();
                long[] tokens = new long[nodes];
                for (int i = 0; i < nodes; i++) {
                    long first = ((long) round * nodes + i) * windows;
                    long[] ids = LongStream.range(first, first + windows).toArray();
                    LocalRound.Result r = locals.get(i).run(new LocalRound.Input(params, ids, rule.localSteps(), lr),
                            residuals.get(i), w -> corpus.batch(w, model.context()), LocalRound.Progress.NONE);
                    SparseUpdate sent = i == CHEATER ? negated(r.update()) : i == RANDOM ? randomised(r.update(), random)
                            : r.update();
                    updates.add(travelled(sent, blocking, demo.encoding()));
                    batches.add(ids);
                    tokens[i] = (long) windows * model.context();
                }
                boolean[] all = new boolean[nodes];
                Arrays.fill(all, true);
                // The agreement screen on the same real updates, without any spot check (docs/reliability.md, "An
                // agreement screen on every update").
                UpdateAgreement.Screen screen = UpdateAgreement.screen(updates, all, rule.agreementFraction());
                screens.add("round " + round + ": " + Arrays.toString(screen.agreements()) + " " + screen.dropped());
                if (screen.dropped().keySet().equals(java.util.Set.of(CHEATER, RANDOM))) screenedCheaters++;
                RoundAggregation.Result result = aggregation.run(new RoundAggregation.Input(params, commitLr, updates,
                        tokens, new boolean[nodes], all), new RoundAggregation.SpotCheck() {
                    @Override
                    public RoundAggregation.Loss lossOn(int update) {
                        var batch = corpus.batch(batches.get(update), model.context());
                        return p -> backend.loss(p, batch);
                    }

                    @Override
                    public boolean passes(float before, float after, float afterNegated) {
                        return SpotCheckPolicy.passes(before, after, afterNegated);
                    }

                    @Override
                    public boolean[] passRound(float[] before, float[] after, float[] afterNegated) {
                        return SpotCheckPolicy.passRound(before, after, afterNegated, rule.comparesSpotCheckGaps());
                    }
                });
                gapsOverMedian.add("round " + round + ": " + gapsOverMedian(result.spots()));
                for (RoundAggregation.SpotResult s : result.spots()) {
                    if (s.update() == CHEATER) {
                        if (!s.passed()) cheaterFailed++;
                        continue;
                    }
                    if (s.update() == RANDOM) {
                        if (!s.passed()) randomFailed++;
                        else randomPassed.add("round " + round + ": " + s);
                        continue;
                    }
                    honestChecks++;
                    honestRise += s.after() / s.before() - 1;
                    evenOverOdd = Math.max(evenOverOdd, Math.abs(s.after() + s.afterNegated() - 2 * s.before())
                            / (s.afterNegated() - s.after()));
                    if (!s.passed()) honestFailures.add("round " + round + " node " + s.update() + ": " + s);
                }
                params = result.params();
            }
        }
        return new Outcome(honestChecks, List.copyOf(honestFailures), honestRise / honestChecks, cheaterFailed,
                randomFailed, List.copyOf(randomPassed), List.copyOf(gapsOverMedian), evenOverOdd, screenedCheaters,
                List.copyOf(screens));
    }

    /// Each check's gap over its round's (lower) median, for the failure messages.
    private static String gapsOverMedian(List<RoundAggregation.SpotResult> spots) {
        double[] b = spots.stream().mapToDouble(RoundAggregation.SpotResult::before).toArray();
        double[] a = spots.stream().mapToDouble(RoundAggregation.SpotResult::after).toArray();
        double[] n = spots.stream().mapToDouble(RoundAggregation.SpotResult::afterNegated).toArray();
        double median = SpotCheckPolicy.roundMedianGap(b, a, n);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < b.length; i++) {
            out.append(String.format(java.util.Locale.ROOT, " %.3f", SpotCheckPolicy.gap(b[i], a[i], n[i]) / median));
        }
        return out.toString();
    }

    /// The update as the coordinator sees it: encoded by the node, decoded on arrival.
    private static SparseUpdate travelled(SparseUpdate u, DemoBlocking blocking, ValueEncoding encoding)
            throws MalformedUpdateException {
        return UpdateCodec.decode(UpdateCodec.encode(u, encoding), blocking, encoding);
    }

    /// Random values at `u`'s indices, each `|value| × N(0, 1)` (the bench's `random` attack).
    private static SparseUpdate randomised(SparseUpdate u, Random random) {
        int n = u.entryCount();
        short[] idx = new short[n];
        float[] val = new float[n];
        for (int i = 0; i < n; i++) {
            idx[i] = (short) u.index(i);
            val[i] = (float) (Math.abs(u.value(i)) * random.nextGaussian());
        }
        return new SparseUpdate(u.blocking(), idx, val);
    }

    private static SparseUpdate negated(SparseUpdate u) {
        int n = u.entryCount();
        short[] idx = new short[n];
        float[] val = new float[n];
        for (int i = 0; i < n; i++) {
            idx[i] = (short) u.index(i);
            val[i] = -u.value(i);
        }
        return new SparseUpdate(u.blocking(), idx, val);
    }
}
