package dev.hearth.engine.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.model.ParameterLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoundAggregationTest {

    private static final ParameterLayout LAYOUT = DemoFixtures.tinyLayout();
    private static final DemoConfig CONFIG = DemoFixtures.tinyConfig(ValueEncoding.FP16);
    private static final DemoBlocking BLOCKING = new DemoBlocking(LAYOUT, CONFIG);

    private static List<SparseUpdate> updates(int n) {
        var list = new ArrayList<SparseUpdate>();
        for (int u = 0; u < n; u++) {
            list.add(new DemoCompressor(LAYOUT, CONFIG).compress(DemoFixtures.gaussian(LAYOUT.size(), 70 + u, 1f)));
        }
        return list;
    }

    /// A real loss for the spot check: the squared distance to a target that the honest updates move towards.
    private record DistanceTo(float[] target) implements RoundAggregation.SpotCheck {
        @Override
        public RoundAggregation.Loss lossOn(int update) {
            return p -> {
                double s = 0;
                for (int i = 0; i < p.length; i++) s += (double) (p[i] - target[i]) * (p[i] - target[i]);
                return (float) s;
            };
        }

        @Override
        public boolean passes(float before, float after, float afterNegated) {
            return after < before;
        }
    }

    @Test
    void theStepIsTheRulesStepOfTheUpdatesThatCountAppliedToACopyOfTheBase() throws Exception {
        List<SparseUpdate> ups = updates(3);
        long[] tokens = {100, 200, 300};
        float[] base = DemoFixtures.gaussian(LAYOUT.size(), 1, 0.02f);
        float[] baseBefore = base.clone();
        for (OuterRule rule : List.of(new SignStep(0.1), new MeanStep(4, 1.5, 0.1))) {
            var agg = new RoundAggregation(rule, BLOCKING, RobustMode.NONE);
            RoundAggregation.Result r = agg.run(new RoundAggregation.Input(base, 0.5f, ups, tokens,
                    new boolean[] {false, true, false}, new boolean[3]), RoundAggregation.SpotCheck.NONE);
            byte[] expected = rule.step(BLOCKING, List.of(ups.get(0), ups.get(2)), new long[] {100, 300},
                    RobustMode.NONE);
            assertArrayEquals(expected, r.step(), rule.name());
            float[] applied = base.clone();
            rule.applyStep(BLOCKING, applied, expected, 0.5f);
            assertArrayEquals(applied, r.params());
            assertArrayEquals(ParamsDigest.sha256(applied), r.sha256());
            assertArrayEquals(new boolean[] {true, false, true}, r.used());
            assertEquals(2, r.usedCount());
            assertTrue(r.spots().isEmpty());
            assertArrayEquals(baseBefore, base, "the base is not modified");
        }
    }

    @Test
    void anUpdateThatFailsItsSpotCheckIsLeftOutAndAnExcludedOneIsNotChecked() {
        SignStep rule = new SignStep(0);
        List<SparseUpdate> ups = updates(3);
        float[] base = new float[LAYOUT.size()];
        // the target lies along the first update's own step: it passes; the negated second update moves away
        float[] target = rule.applyAlone(BLOCKING, base, ups.get(0), 0.01f);
        List<SparseUpdate> withCheater = List.of(ups.get(0), RoundAggregation.negated(ups.get(0)), ups.get(2));
        var agg = new RoundAggregation(rule, BLOCKING, RobustMode.NONE);
        RoundAggregation.Result r = agg.run(new RoundAggregation.Input(base, 0.01f, withCheater, new long[] {1, 1, 1},
                new boolean[] {false, false, true}, new boolean[] {true, true, true}), new DistanceTo(target));
        assertEquals(2, r.spots().size(), "the excluded update is not spot-checked");
        assertTrue(r.spots().get(0).passed());
        assertEquals(1, r.spots().get(1).update());
        assertFalse(r.spots().get(1).passed());
        assertTrue(r.spots().get(1).after() > r.spots().get(1).before());
        assertArrayEquals(new boolean[] {true, false, false}, r.used());
        assertArrayEquals(rule.step(BLOCKING, List.of(ups.get(0)), new long[] {1}, RobustMode.NONE), r.step());
    }

    /// Records the parameters each loss evaluation is asked about, in order (before, after, after the negation).
    private record Recording(List<float[]> seen) implements RoundAggregation.SpotCheck {
        @Override
        public RoundAggregation.Loss lossOn(int update) {
            return p -> {
                seen.add(p.clone());
                return seen.size();
            };
        }

        @Override
        public boolean passes(float before, float after, float afterNegated) {
            return true;
        }
    }

    @Test
    void anUpdateIsCheckedAtAQuarterOfItsTokenShareOfTheRoundsRateWithEitherOuterStep() {
        List<SparseUpdate> ups = updates(3);
        long[] tokens = {100, 300, 600}; // the first is excluded: the second's share is 300 / 900
        float[] base = DemoFixtures.gaussian(LAYOUT.size(), 3, 0.02f);
        for (OuterRule rule : List.of(new MeanStep(4, 1.5, 0.1), new SignStep(0.1))) {
            float lr = rule.commitLr(0.01f);
            var seen = new ArrayList<float[]>();
            new RoundAggregation(rule, BLOCKING, RobustMode.NONE).run(new RoundAggregation.Input(base, lr, ups, tokens,
                    new boolean[] {true, false, false}, new boolean[] {true, true, false}), new Recording(seen));
            float checkLr = (float) (lr * (300.0 / 900) * 0.25);
            assertEquals(3, seen.size(), rule.name() + ": the excluded update is not checked, the chosen one is");
            assertArrayEquals(base, seen.get(0), rule.name());
            assertArrayEquals(rule.applyAlone(BLOCKING, base, ups.get(1), checkLr), seen.get(1), rule.name());
            assertArrayEquals(rule.applyAlone(BLOCKING, base, RoundAggregation.negated(ups.get(1)), checkLr),
                    seen.get(2), rule.name());
        }
        // the probe: a quarter of the share (1.5 × 1/3 = 0.5 is the update's part of a mean step, 0.001 of a sign step)
        assertEquals(0.125f, new MeanStep(4, 1.5, 0).spotCheckLr(1.5f, 1.0 / 3), 1e-7f);
        assertEquals(0.00025f, new SignStep(0).spotCheckLr(0.003f, 1.0 / 3), 1e-10f);
    }

    @Test
    void aRoundWithoutUsableUpdatesCommitsTheStepThatMovesOnlyByDecay() throws Exception {
        MeanStep rule = new MeanStep(4, 1.5, 0.1);
        float[] base = DemoFixtures.gaussian(LAYOUT.size(), 2, 0.02f);
        var r = new RoundAggregation(rule, BLOCKING, RobustMode.NONE).run(new RoundAggregation.Input(base, 1.5f,
                updates(1), new long[] {1}, new boolean[] {true}, new boolean[] {false}), RoundAggregation.SpotCheck.NONE);
        assertArrayEquals(MeanStep.empty(BLOCKING), r.step());
        assertArrayEquals(base, r.params());
        assertEquals(0, r.usedCount());
    }

    @Test
    void inputsOfDifferentLengthsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> new RoundAggregation.Input(new float[1], 1f,
                updates(2), new long[] {1}, new boolean[2], new boolean[2]));
        assertTrue(e.getMessage().contains("2 updates but 1 token counts"), e.getMessage());
    }
}
