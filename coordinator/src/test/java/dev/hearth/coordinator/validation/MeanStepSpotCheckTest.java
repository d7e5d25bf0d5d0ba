package dev.hearth.coordinator.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.hearth.engine.train.HostLocalTrainer;
import dev.hearth.engine.train.LocalRound;
import dev.hearth.engine.model.TrainingBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 3, the core of the Byzantine case with the mean step (the run default), in-process and fast
/// enough for every build: real nodes' rounds on `nano` (local AdamW steps, DeMo compression with each node's own
/// residual, the update encoded and decoded as it travels), aggregated by the coordinator's [RoundAggregation] with
/// every update spot-checked on its own batch by the coordinator's rule ([SpotCheckPolicy#passRound], the relative
/// rule included, as the mean step asks). Of five nodes one flips the sign of its update and one sends random values
/// at its real update's indices with the real magnitudes (the bench's `random` attack), which the antithetic rule
/// alone passed about half the time; the relative rule (a gap below 0.25× the round's median) catches it.
///
/// Before the check applied an update at its share of the round, it applied it at the whole outer rate (1.5), where
/// one update alone overshoots on its own batch in both directions; in the protocol-level scenario that struck
/// honest nodes from round 7 on and quarantined one (docs/reliability.md). This test does not reproduce that failure:
/// at 4 nodes (share 1/4; before the random node was added) it passed with the whole-rate check too, even over 8 rounds (tried); the failure needed 12
/// nodes' shares and later rounds, too slow for every build. The rate itself is pinned by `RoundAggregationTest`; this
/// test guards that the check, so applied, passes real honest updates and fails a sign-flipped one. The slow
/// protocol-level measurement is `ByzantineMeanStepTest` and `./hearth bench reliability`.
class MeanStepSpotCheckTest {

    static final int NODES = 5;
    /// Node 0 flips its sign.
    static final int CHEATER = 0;
    /// Node 1 sends random values at its update's indices, each of its real value's magnitude times a Gaussian.
    static final int RANDOM = 1;
    /// The random node's seed (fixed: the test is deterministic).
    static final long RANDOM_SEED = 14;
    /// 4 rounds: the residuals fill and the model moves (the 8-node scenario's first 4 rounds take its mean loss from
    /// 5.43 to 4.69), and the test stays short.
    static final int ROUNDS = 4;
    static final int WINDOWS = 2;

    @TempDir
    Path dir;

    @Test
    void honestMeanStepUpdatesPassTheirSpotCheckAtTheirShareAndSignFlippedAndRandomOnesNever() throws Exception {
        // (and the agreement screen, on the same updates, drops the flipped and the random one and no honest one)
        RunConfig config = RunConfig.parse("""
                [run]
                id = "spot-check-share"
                seed = 7
                [data]
                sequences_per_node = %d
                [optimizer]
                outer = "mean"
                local_steps = %d
                lr_max = 0.001
                lr_min = 0.001
                warmup_rounds = 0
                """.formatted(WINDOWS, WINDOWS), "test", Map.of());
        ModelConfig model = config.recipe().model();
        ParameterLayout layout = ParameterLayout.gpt(model);
        DemoConfig demo = config.recipe().demo();
        DemoBlocking blocking = config.recipe().blocking(layout);
        OuterRule rule = config.recipe().outer();
        assertEquals("mean", rule.name(), "the run default is the mean step");
        RoundAggregation aggregation = new RoundAggregation(rule, blocking, RobustMode.NONE);
        Corpus corpus = Corpus.bundled(dir.resolve("corpus"));
        float lr = (float) config.lrSchedule().at(0);
        float commitLr = rule.commitLr(lr);

        int honestChecks = 0;
        int honestFailed = 0;
        double honestRise = 0;
        int cheaterFailed = 0;
        int randomFailed = 0;
        java.util.Random random = new java.util.Random(RANDOM_SEED);
        List<String> randomPassed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> screened = new ArrayList<>();
        int screenedOut = 0;
        try (TrainingBackend backend = BackendSelector.select(model).backend()) {
            List<LocalRound> rounds = new ArrayList<>();
            List<DemoCompressor> residuals = new ArrayList<>();
            for (int i = 0; i < NODES; i++) {
                rounds.add(new LocalRound(new HostLocalTrainer(backend,
                        LocalRound.innerSettings((float) rule.innerWeightDecay())), Integer.MAX_VALUE));
                residuals.add(new DemoCompressor(layout, demo));
            }
            float[] params = GptInit.init(model, config.recipe().dataSeed());
            for (int round = 0; round < ROUNDS; round++) {
                List<SparseUpdate> updates = new ArrayList<>();
                List<long[]> batches = new ArrayList<>();
                long[] tokens = new long[NODES];
                for (int i = 0; i < NODES; i++) {
                    long first = ((long) round * NODES + i) * WINDOWS;
                    long[] ids = LongStream.range(first, first + WINDOWS).toArray();
                    LocalRound.Result r = rounds.get(i).run(new LocalRound.Input(params, ids, rule.localSteps(), lr),
                            residuals.get(i), w -> corpus.batch(w, model.context()), LocalRound.Progress.NONE);
                    SparseUpdate sent = i == CHEATER ? negated(r.update()) : i == RANDOM ? randomised(r.update(), random)
                            : r.update();
                    updates.add(travelled(sent, blocking, demo.encoding()));
                    batches.add(ids);
                    tokens[i] = (long) WINDOWS * model.context();
                }
                boolean[] all = new boolean[NODES];
                java.util.Arrays.fill(all, true);
                // The agreement screen on the same real updates, without any spot check: it drops the flipped and the
                // random update and no honest one (docs/reliability.md, "An agreement screen on every update").
                UpdateAgreement.Screen screen = UpdateAgreement.screen(updates, all, rule.agreementFraction());
                screened.add("round " + round + ": " + java.util.Arrays.toString(screen.agreements()) + " "
                        + screen.dropped());
                if (screen.dropped().keySet().equals(java.util.Set.of(CHEATER, RANDOM))) screenedOut++;
                RoundAggregation.Result result = aggregation.run(new RoundAggregation.Input(params, commitLr, updates,
                        tokens, new boolean[NODES], all), new RoundAggregation.SpotCheck() {
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
                    if (!s.passed()) {
                        honestFailed++;
                        failures.add("round " + round + " node " + s.update() + ": " + s);
                    }
                }
                params = result.params();
            }
        }
        assertEquals((NODES - 2) * ROUNDS, honestChecks, "every honest update was checked");
        assertEquals(0, honestFailed, "no honest update fails its spot check: " + failures);
        assertEquals(ROUNDS, cheaterFailed, "the sign-flipped update fails its spot check in every round");
        assertEquals(ROUNDS, randomFailed, "the random update fails its spot check in every round: " + randomPassed);
        assertEquals(ROUNDS, screenedOut, "the agreement screen drops exactly the flipped and the random update in"
                + " every round: " + screened);
        assertTrue(honestRise / honestChecks < 0, "honest updates go downhill on their own batches at their share:"
                + " mean loss change " + honestRise / honestChecks);
    }

    /// The update as the coordinator sees it: encoded by the node, decoded on arrival.
    private static SparseUpdate travelled(SparseUpdate u, DemoBlocking blocking, ValueEncoding encoding)
            throws MalformedUpdateException {
        return UpdateCodec.decode(UpdateCodec.encode(u, encoding), blocking, encoding);
    }

    /// Random values at `u`'s indices, each `|value| × N(0, 1)` (the bench's `random` attack).
    private static SparseUpdate randomised(SparseUpdate u, java.util.Random random) {
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
