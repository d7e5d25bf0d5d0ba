package dev.hearth.coordinator.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/// [UpdateAgreement]'s statistic on hand-made sparse updates of a tiny blocking (one-layer GPT, blocks of 6, k 5:
/// non-square blocks and blocks smaller than k).
class UpdateAgreementTest {

    static final DemoBlocking BLOCKING = new DemoBlocking(ParameterLayout.gpt(new ModelConfig("tiny", 1, 8, 2, 16, 13)),
            new DemoConfig(0.9f, 6, 5, ValueEncoding.FP16));
    static final double EXACT = 1e-6;
    /// The mean step's bound (the run default's).
    static final double MEAN = dev.hearth.engine.demo.MeanStep.AGREEMENT_FRACTION;

    /// An update whose entry `e` (in the update's entry order) has the value `value(e)`, at each block's first `keep`
    /// indices.
    static SparseUpdate update(IntToDoubleFunction value) {
        short[] idx = new short[BLOCKING.entryCount()];
        float[] val = new float[BLOCKING.entryCount()];
        for (DemoBlocking.TensorBlocks t : BLOCKING.tensors()) {
            for (int b = 0; b < t.blockCount(); b++) {
                for (int e = 0; e < t.keep(); e++) {
                    int i = t.entryOffset() + b * t.keep() + e;
                    idx[i] = (short) e;
                    val[i] = (float) value.applyAsDouble(i);
                }
            }
        }
        return new SparseUpdate(BLOCKING, idx, val);
    }

    static SparseUpdate gaussian(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return update(i -> r.nextGaussian());
    }

    static SparseUpdate scaled(SparseUpdate u, double factor) {
        return update(i -> factor * u.value(i));
    }

    static boolean[] all(int n) {
        boolean[] b = new boolean[n];
        Arrays.fill(b, true);
        return b;
    }

    @Test
    void identicalUpdatesAgreeFully() {
        SparseUpdate u = gaussian(1);
        double[] a = UpdateAgreement.leaveOneOut(List.of(u, u, scaled(u, 3)), all(3));
        for (double x : a) assertEquals(1, x, EXACT);
    }

    @Test
    void aNegatedUpdateAgreesMinusOneAndTheOthersStillFully() {
        SparseUpdate u = gaussian(2);
        double[] a = UpdateAgreement.leaveOneOut(List.of(u, u, u, scaled(u, -1)), all(4));
        assertEquals(1, a[0], EXACT, "its reference is 2û − û = û");
        assertEquals(-1, a[3], EXACT);
    }

    @Test
    void anOrthogonalUpdateAgreesZeroAndLeaveOneOutLeavesTheUpdateItselfOut() {
        // a on the even entries, b on the odd ones: ⟨a, b⟩ = 0 exactly
        SparseUpdate a = update(i -> i % 2 == 0 ? 1 + i % 7 : 0);
        SparseUpdate b = update(i -> i % 2 == 1 ? 2 - i % 5 : 0);
        double[] x = UpdateAgreement.leaveOneOut(List.of(a, a, b), all(3));
        assertEquals(0, x[2], EXACT, "b against 2â");
        // a against â + b̂: cos = 1/√2. Had the sum kept a itself (2â + b̂), it would be 2/√5 = 0.894.
        assertEquals(1 / Math.sqrt(2), x[0], EXACT);
        assertEquals(1 / Math.sqrt(2), x[1], EXACT);
    }

    @Test
    void fewerThanThreeCountedUpdatesGiveNoAgreementAndUncountedOnesNoVote() {
        SparseUpdate u = gaussian(3);
        SparseUpdate v = gaussian(4);
        for (double x : UpdateAgreement.leaveOneOut(List.of(u, v), all(2))) assertTrue(Double.isNaN(x));
        double[] three = UpdateAgreement.leaveOneOut(List.of(u, v, scaled(u, -1)), new boolean[] {true, true, false});
        for (double x : three) assertTrue(Double.isNaN(x), "two counted of three: " + Arrays.toString(three));
        // an uncounted update neither gets an agreement nor votes: the -u below would make u's reference u − u = 0
        double[] four = UpdateAgreement.leaveOneOut(List.of(u, u, u, scaled(u, -1)), new boolean[] {true, true, true,
                false});
        assertEquals(1, four[0], EXACT);
        assertTrue(Double.isNaN(four[3]));
        // a zero update has no direction: no agreement, no vote
        double[] zero = UpdateAgreement.leaveOneOut(List.of(u, u, update(i -> 0)), all(3));
        assertTrue(Arrays.stream(zero).allMatch(Double::isNaN), "two voters: " + Arrays.toString(zero));
    }

    @Test
    void largeAntiAlignedUpdatesGetOneVoteEachAndCannotTurnHonestAgreementsNegative() {
        // six honest updates around one direction d (pairwise cosine ~0.2) and two sign flippers that send their own
        // such update negated at 4× its norm: within the norm bound (5× the round's median norm)
        SparseUpdate d = gaussian(10);
        List<SparseUpdate> updates = new ArrayList<>();
        for (int h = 0; h < 8; h++) {
            SparseUpdate noise = gaussian(20 + h);
            SparseUpdate honest = update(i -> 0.5 * d.value(i) + noise.value(i));
            updates.add(h < 6 ? honest : scaled(honest, -4));
        }
        double honestNorm = updates.getFirst().l2Norm();
        double[] a = UpdateAgreement.leaveOneOut(updates, all(8));
        for (int h = 0; h < 6; h++) assertTrue(a[h] > 0.1, "honest " + h + ": " + Arrays.toString(a));
        assertTrue(a[6] < -0.1 && a[7] < -0.1, "the flippers: " + Arrays.toString(a));
        // the plain sum of the raw updates would: honest 0's reference is the others' sum
        float[] others = new float[BLOCKING.entryCount()];
        for (int j = 1; j < 8; j++) for (int i = 0; i < others.length; i++) others[i] += updates.get(j).value(i);
        double dot = 0;
        double n2 = 0;
        for (int i = 0; i < others.length; i++) {
            dot += updates.getFirst().value(i) * others[i];
            n2 += others[i] * others[i];
        }
        assertTrue(dot / (honestNorm * Math.sqrt(n2)) < 0, "a raw sum turns the honest agreement negative");
    }

    /// `n` updates `base ± noise`: `sign[i]` times `0.5·d + noise_i` (pairwise cosine ~0.2 among the positive ones).
    static List<SparseUpdate> around(long seed, double... sign) {
        SparseUpdate d = gaussian(seed);
        List<SparseUpdate> updates = new ArrayList<>();
        for (int h = 0; h < sign.length; h++) {
            SparseUpdate noise = gaussian(seed * 100 + h);
            double f = sign[h];
            updates.add(update(i -> f * (0.5 * d.value(i) + noise.value(i))));
        }
        return updates;
    }

    @Test
    void theScreenDropsAFlippedAndARandomUpdateWithItsAgreementAndTheMedianInTheReason() {
        List<SparseUpdate> updates = new ArrayList<>(around(40, 1, 1, 1, 1, 1, 1, -1));
        updates.add(gaussian(99)); // random: no common part
        UpdateAgreement.Screen s = UpdateAgreement.screen(updates, all(8), MEAN);
        assertEquals(java.util.Set.of(6, 7), s.dropped().keySet(), s.dropped().toString());
        assertTrue(s.dropped().get(6).matches("agreement -0\\.\\d{4} is below 0\\.10 × the round's median agreement"
                + " 0\\.\\d{4} \\(its cosine with the sum of the round's other updates: it points away from them\\)"),
                s.dropped().get(6));
        assertTrue(s.dropped().get(7).contains("below 0.10 ×"), s.dropped().get(7));
        for (int h = 0; h < 6; h++) assertTrue(s.agreements()[h] > 0.2, "kept, judged without the dropped: "
                + Arrays.toString(s.agreements()));
    }

    @Test
    void theScreensAgreementsAfterDropsAreThoseOfAFreshLeaveOneOutOverTheUpdatesKept() {
        // The screen subtracts a dropped update's vote from the running sum instead of summing again: same figures.
        List<SparseUpdate> updates = new ArrayList<>(around(70, 1, 1, 1, 1, 1, 1, -1, -1));
        updates.add(gaussian(98));
        UpdateAgreement.Screen s = UpdateAgreement.screen(updates, all(9), MEAN);
        assertEquals(java.util.Set.of(6, 7, 8), s.dropped().keySet(), s.dropped().toString());
        boolean[] kept = all(9);
        for (int i : s.dropped().keySet()) kept[i] = false;
        double[] fresh = UpdateAgreement.leaveOneOut(updates, kept);
        for (int h = 0; h < 6; h++) {
            assertEquals(fresh[h], s.agreements()[h], EXACT, "update " + h + ": " + Arrays.toString(s.agreements())
                    + " vs " + Arrays.toString(fresh));
        }
    }

    @Test
    void theScreenPeelsStrongDissentersBeforeJudgingAWeakHonestUpdate() {
        // five honest updates, two flippers (each its own honest update negated), and a weakly aligned honest update
        // that shares much of the first flipper's own part (a batch like its batch): in the first pass that flipper
        // drags the weak update's agreement below the bound; once the flippers are dropped it agrees again and is kept
        SparseUpdate d = gaussian(60);
        List<SparseUpdate> updates = new ArrayList<>(around(60, 1, 1, 1, 1, 1));
        SparseUpdate flipperOwn = gaussian(61);
        SparseUpdate own = gaussian(62);
        updates.add(update(i -> -(0.5 * d.value(i) + flipperOwn.value(i))));
        updates.addAll(around(63, -1));
        updates.add(update(i -> 0.2 * d.value(i) + 0.6 * flipperOwn.value(i) + own.value(i)));
        double[] first = UpdateAgreement.leaveOneOut(updates, all(8));
        UpdateAgreement.Screen s = UpdateAgreement.screen(updates, all(8), MEAN);
        String seen = "first pass " + Arrays.toString(first) + ", screen " + Arrays.toString(s.agreements()) + " "
                + s.dropped();
        assertTrue(first[7] < 0.1 * UpdateAgreement.median(first), "a one-pass rule would drop it: " + seen);
        assertEquals(java.util.Set.of(5, 6), s.dropped().keySet(), seen);
        assertTrue(s.agreements()[7] > 0, seen);
    }

    @Test
    void theScreenNeedsFourComparedUpdatesAndAMedianAtTheFloorOrAbove() {
        assertTrue(UpdateAgreement.screen(around(70, 1, 1, -1), all(3), MEAN).dropped().isEmpty(), "3 compared");
        assertEquals(java.util.Set.of(3), UpdateAgreement.screen(around(70, 1, 1, 1, -1), all(4), MEAN).dropped().keySet(),
                "4 compared");
        assertTrue(UpdateAgreement.screen(around(70, 1, 1, 1, -1), new boolean[] {true, true, false, true}, MEAN).dropped()
                .isEmpty(), "one of 4 not counted");
        // no common direction: independent updates agree about 0 (within about ±1/√entries: this tiny layout has few),
        // their median below the floor
        List<SparseUpdate> unrelated = List.of(gaussian(91), gaussian(92), gaussian(93), gaussian(94), gaussian(95));
        double[] a = UpdateAgreement.leaveOneOut(unrelated, all(5));
        assertTrue(UpdateAgreement.median(a) < UpdateAgreement.MIN_MEDIAN, Arrays.toString(a));
        assertTrue(UpdateAgreement.screen(unrelated, all(5), MEAN).dropped().isEmpty(), Arrays.toString(a));
        // mostly anti-aligned: updates ±u around nothing common, median ≤ 0
        assertTrue(UpdateAgreement.screen(List.of(gaussian(1), scaled(gaussian(1), -1), gaussian(2), scaled(gaussian(2),
                -1)), all(4), MEAN).dropped().isEmpty(), "median ≤ 0");
    }

    @Test
    void withTheSignStepsBoundOnlyAntiAlignedUpdatesAreDropped() {
        double sign = dev.hearth.engine.demo.SignStep.AGREEMENT_FRACTION;
        List<SparseUpdate> updates = new ArrayList<>(around(80, 1, 1, 1, 1, 1, 1, -1));
        updates.add(gaussian(81)); // random: about 0, above −0.5 × the median
        UpdateAgreement.Screen s = UpdateAgreement.screen(updates, all(8), sign);
        assertEquals(java.util.Set.of(6), s.dropped().keySet(), Arrays.toString(s.agreements()) + " " + s.dropped());
        assertTrue(s.dropped().get(6).contains("below -0.50 × the round's median agreement"), s.dropped().get(6));
    }
}
