package dev.hearth.engine.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.wire.OuterStepKind;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class OuterRuleTest {

    private static final ParameterLayout LAYOUT = DemoFixtures.tinyLayout();
    private static final DemoConfig CONFIG = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
    private static final DemoBlocking BLOCKING = new DemoBlocking(LAYOUT, CONFIG);
    private static final SignStep SIGN = new SignStep(0.1);
    private static final MeanStep MEAN = new MeanStep(8, 1.5, 0.1);

    private static List<SparseUpdate> updates(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(u -> new DemoCompressor(LAYOUT, CONFIG)
                .compress(DemoFixtures.gaussian(LAYOUT.size(), 40 + u, 1f))).toList();
    }

    @Test
    void eachRuleComesBackFromTheWireConfigItWrites() {
        for (OuterRule rule : List.of(SIGN, MEAN)) {
            RunConfig wire = rule.describe(RunConfig.newBuilder()).build();
            assertEquals(rule, OuterRule.fromWire(wire));
        }
        assertEquals(new SignStep(0.25), OuterRule.fromWire(RunConfig.newBuilder().setWeightDecay(0.25).build()),
                "an unset kind is the sign step (coordinators before the mean step)");
        assertEquals(OuterStepKind.OUTER_MEAN, MEAN.describe(RunConfig.newBuilder()).getOuterStep());
        var unknown = assertThrows(IllegalArgumentException.class,
                () -> OuterRule.fromWire(RunConfig.newBuilder().setOuterStepValue(9).build()));
        assertEquals("the run's outer step 9 is not one this version of Hearth knows (mean, sign); update Hearth",
                unknown.getMessage());
    }

    @Test
    void eachRuleIsFoundByItsNameWithItsDefaultsTheMeanStepFirst() {
        assertEquals(List.of("mean", "sign"), OuterRule.names());
        assertEquals(MeanStep.DEFAULT, OuterRule.runDefault());
        for (OuterRule rule : OuterRule.all()) {
            assertEquals(rule, OuterRule.byName(rule.name()));
            OuterRule.Defaults d = rule.defaults();
            assertEquals(rule, rule.withSettings(d.localSteps(), d.outerLr(), d.weightDecay()),
                    "a rule's defaults make the rule");
        }
        assertEquals(new MeanStep(8, 1.5, 0.1), MeanStep.DEFAULT);
        assertEquals(64, MeanStep.DEFAULTS.topK());
        assertEquals(8, SignStep.DEFAULTS.topK());
        var e = assertThrows(IllegalArgumentException.class, () -> OuterRule.byName("adamw"));
        assertEquals("outer step must be one of mean, sign, got \"adamw\"", e.getMessage());
    }

    @Test
    void aSettingThatDoesNotFitTheRuleIsNamed() {
        assertEquals("local_steps", assertThrows(OuterRule.SettingException.class,
                () -> SignStep.DEFAULT.withSettings(4, 0, 0)).setting());
        assertEquals("outer_lr", assertThrows(OuterRule.SettingException.class,
                () -> SignStep.DEFAULT.withSettings(1, 1.0, 0)).setting());
        assertEquals("outer_lr", assertThrows(OuterRule.SettingException.class,
                () -> MeanStep.DEFAULT.withSettings(8, 0, 0.1)).setting());
        assertEquals(new MeanStep(4, 2.0, 0.05), MeanStep.DEFAULT.withSettings(4, 2.0, 0.05));
        assertEquals("robust", assertThrows(OuterRule.SettingException.class,
                () -> MEAN.requireSupported(RobustMode.trimmedMean(0.25))).setting());
        MEAN.requireSupported(RobustMode.NORM_CLIP);
        SIGN.requireSupported(RobustMode.trimmedMean(0.25));
    }

    @Test
    void theMeanStepBoundsAnUpdateAloneByItsNormAtTheRateAndTheSignStepDoesNot() {
        SparseUpdate u = updates(1).getFirst();
        assertEquals(1.5 * u.l2Norm(), MEAN.aloneStepNorm(u, 1.5), 1e-9, "the DCT is orthonormal");
        assertTrue(Double.isNaN(SIGN.aloneStepNorm(u, 0.01)), "an update cannot size the sign step");
        assertEquals(2 * 20 * 1.5 * 1e-3 * Math.sqrt(8), MEAN.stepBound(1.5, 1e-3, 100, 1.0), 1e-12);
        assertEquals((0.01 * 10 / 2.0 + 0.01 * 0.1) * 1.001, SIGN.stepBound(0.01, 0.01, 100, 2.0), 1e-12);
    }

    @Test
    void meanStepRefusesSettingsOutOfRangeFromAWireConfig() {
        RunConfig noSteps = RunConfig.newBuilder().setOuterStep(OuterStepKind.OUTER_MEAN).setOuterLr(1).build();
        var e = assertThrows(IllegalArgumentException.class, () -> OuterRule.fromWire(noSteps));
        assertTrue(e.getMessage().contains("local steps"), e.getMessage());
    }

    @Test
    void theCommitCarriesTheRatesEachRuleSays() {
        assertEquals(0.01f, SIGN.commitLr(0.01f), "the sign step applies the scheduled rate");
        assertEquals(1.5f, MEAN.commitLr(0.01f), "the mean step applies its constant outer rate");
        assertEquals(0, SIGN.localSteps());
        assertEquals(0.0, SIGN.innerWeightDecay());
        assertEquals(8, MEAN.localSteps());
        assertEquals(0.1, MEAN.innerWeightDecay());
    }

    @Test
    void aCommitIsAppliedOnlyWithTheCaseOfItsRule() throws Exception {
        List<SparseUpdate> ups = updates(3);
        long[] tokens = {1, 2, 3};
        for (OuterRule rule : List.of(SIGN, MEAN)) {
            byte[] step = rule.step(BLOCKING, ups, tokens, RobustMode.NONE);
            assertTrue(step.length <= rule.maxStepBytes(BLOCKING));
            RoundCommit commit = rule.putStep(RoundCommit.newBuilder(), step).setLr(0.5).build();
            assertArrayEquals(step, rule.stepOf(commit));
            float[] direct = DemoFixtures.gaussian(LAYOUT.size(), 3, 0.02f);
            float[] viaCommit = direct.clone();
            rule.applyStep(BLOCKING, direct, step, 0.5f);
            rule.applyCommit(BLOCKING, viaCommit, commit);
            assertArrayEquals(direct, viaCommit);
            OuterRule other = rule instanceof SignStep ? MEAN : SIGN;
            float[] untouched = DemoFixtures.gaussian(LAYOUT.size(), 3, 0.02f);
            float[] before = untouched.clone();
            var e = assertThrows(MalformedUpdateException.class, () -> other.applyCommit(BLOCKING, untouched, commit));
            assertTrue(e.getMessage().contains("the run applies the " + other.name() + " step"), e.getMessage());
            assertArrayEquals(before, untouched);
        }
    }

    @Test
    void applyingOneUpdateAloneIsTheStepOfThatUpdateOnACopy() throws Exception {
        SparseUpdate one = updates(1).getFirst();
        for (OuterRule rule : List.of(SIGN, MEAN)) {
            float[] params = DemoFixtures.gaussian(LAYOUT.size(), 9, 0.02f);
            float[] before = params.clone();
            float[] alone = rule.applyAlone(BLOCKING, params, one, 0.5f);
            assertArrayEquals(before, params, "the spot check leaves the run's parameters alone");
            float[] expected = params.clone();
            rule.applyStep(BLOCKING, expected, rule.step(BLOCKING, List.of(one), new long[] {7}, RobustMode.NONE),
                    0.5f);
            assertArrayEquals(expected, alone);
        }
    }

    @Test
    void noUsableUpdateGivesTheStepThatOnlyDecays() throws Exception {
        float[] params = DemoFixtures.gaussian(LAYOUT.size(), 11, 0.02f);
        float[] mean = params.clone();
        MEAN.applyStep(BLOCKING, mean, MEAN.step(BLOCKING, List.of(), new long[0], RobustMode.NONE), 0.5f);
        assertArrayEquals(params, mean, "the mean step's decay is in the pseudo-gradients: nothing moves");
        float[] sign = params.clone();
        SIGN.applyStep(BLOCKING, sign, SIGN.step(BLOCKING, List.of(), new long[0], RobustMode.NONE), 0.5f);
        for (ParameterLayout.Tensor t : LAYOUT.tensors()) {
            int i = t.offset();
            assertEquals(t.isMatrix() ? params[i] - 0.5f * 0.1f * params[i] : params[i], sign[i], 0f, t.name());
        }
    }
}
