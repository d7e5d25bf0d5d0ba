package dev.hearth.coordinator.run;

import dev.hearth.coordinator.run.RunAction.Aggregate;
import dev.hearth.coordinator.run.RunAction.OpenRound;
import dev.hearth.coordinator.run.RunAction.RoundFailed;
import dev.hearth.coordinator.run.RunAction.RunFinished;
import dev.hearth.coordinator.run.RunAction.RunPaused;
import dev.hearth.coordinator.run.Verdict.Rule;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/// The run's rounds driven by hand: every instant is chosen by the test, nothing sleeps.
class RunStateMachineTest {

    private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");
    private static final int SEQ = 4;
    private static final int CTX = 128;
    private static final long TOKENS = SEQ * CTX;
    private static final DeadlinePolicy DEADLINES = new DeadlinePolicy(2.0, Duration.ofSeconds(10),
            Duration.ofSeconds(15), Duration.ofMinutes(10));

    private static RunRules rules(int minNodes, int minUploads, long totalRounds) {
        return new RunRules(minNodes, minUploads, SEQ, CTX, totalRounds, 100, 1, 0.5, DEADLINES);
    }

    private static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    private static <T> T only(List<RunAction> actions, Class<T> type) {
        assertEquals(1, actions.size(), "one action expected: " + actions);
        return type.cast(actions.getFirst());
    }

    /// An upload whose payload passed its rules, from the open round's base (or the current version between rounds).
    private static Verdict upload(RunStateMachine run, String node, long round, long tokens, Instant at) {
        return upload(run, node, round, tokens, at, Verdict.accept());
    }

    private static Verdict upload(RunStateMachine run, String node, long round, long tokens, Instant at,
                                  Verdict payload) {
        var open = run.openRound();
        long base = open != null ? open.baseVersion() : run.version();
        return run.uploadReceived(new RunStateMachine.Upload(node, round, base, tokens, at, 1.0, null, 0), payload);
    }

    /// Three nodes at 1024 tok/s (512 tokens take 0.5 s, so the deadline is the 15 s minimum).
    private static RunStateMachine running(RunRules rules, String... nodes) {
        var run = new RunStateMachine(rules);
        for (String n : nodes) {
            run.nodeReady(n, 1024, T0);
        }
        return run;
    }

    @Test
    void waitsForTheMinimumNodesThenAssignsEachItsSequences() {
        var run = new RunStateMachine(rules(2, 2, 10));
        run.nodeReady("a", 1024, T0);
        assertTrue(run.tick(at(1), 0).isEmpty());
        assertEquals(RunPhase.WAITING_FOR_NODES, run.phase());
        run.nodeReady("b", 1024, at(2));
        OpenRound open = only(run.tick(at(3), 0), OpenRound.class);
        assertEquals(1, open.round());
        assertEquals(0, open.baseVersion());
        assertEquals(Set.of("a", "b"), open.batches().keySet());
        assertEquals(SEQ, open.batches().get("a").length);
        var ids = new HashSet<Long>();
        open.batches().values().forEach(v -> Arrays.stream(v).forEach(ids::add));
        assertEquals(2 * SEQ, ids.size(), "no id assigned to two nodes");
        assertEquals(at(3).plusSeconds(15), open.deadline());
        assertEquals(RunPhase.ROUND_OPEN, run.phase());
        run.checkInvariant();
    }

    @Test
    void aggregatesAsSoonAsEveryAssignedNodeAnsweredThenOpensTheNextRound() {
        var run = running(rules(2, 5, 10), "a", "b");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        assertTrue(upload(run, "a", open.round(), TOKENS, at(2)).accepted());
        assertTrue(run.tick(at(3), 0).isEmpty(), "b is still training");
        assertTrue(upload(run, "b", open.round(), TOKENS, at(4)).accepted());
        Aggregate agg = only(run.tick(at(5), 0), Aggregate.class);
        assertEquals(List.of("a", "b"), agg.uploads().stream().map(RunAction.AcceptedUpload::nodeId).toList());
        assertTrue(agg.stragglers().isEmpty());
        assertTrue(agg.reason().contains("every assigned node answered"), agg.reason());
        assertEquals(RunPhase.AGGREGATING, run.phase());
        assertTrue(run.tick(at(6), 0).isEmpty(), "nothing happens while the I/O layer aggregates");

        RoundCommit commit = run.committed(open.round(), 1, Set.of(), at(7));
        assertEquals(2 * TOKENS, commit.totalTokens());
        assertEquals(2, commit.committed().size());
        assertEquals(RunPhase.COMMITTED, run.phase());
        run.checkInvariant();

        OpenRound next = only(run.tick(at(8), 0), OpenRound.class);
        assertEquals(2, next.round());
        assertEquals(1, next.baseVersion());
    }

    @Test
    void quorumClosesTheRoundEarlyAndStragglersLoseTheirBatches() {
        var run = running(rules(1, 2, 10), "a", "b", "c");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        upload(run, "a", open.round(), TOKENS, at(1));
        upload(run, "b", open.round(), TOKENS, at(2));
        Aggregate agg = only(run.tick(at(2), 0), Aggregate.class);
        assertEquals(Set.of("c"), agg.stragglers());
        assertTrue(agg.reason().startsWith("quorum"), agg.reason());
        run.checkInvariant();
        var late = upload(run, "c", open.round(), TOKENS, at(3));
        assertEquals(Rule.DEADLINE, late.rule());
        assertTrue(late.reason().contains("aggregated"), late.reason());

        run.committed(open.round(), 1, Set.of(), at(4));
        OpenRound next = only(run.tick(at(5), 0), OpenRound.class);
        long[] cBefore = open.batches().get("c");
        long[] firstOfNext = next.batches().get("a");
        assertArrayEquals(cBefore, firstOfNext, "c's batches are retrained first");
    }

    @Test
    void deadlineAggregatesWhatArrivedAndTheSilentNodeIsAStraggler() {
        var run = running(rules(2, 3, 10), "a", "b");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        upload(run, "a", open.round(), TOKENS, at(5));
        assertTrue(run.tick(at(14), 0).isEmpty());
        Aggregate agg = only(run.tick(at(15), 0), Aggregate.class);
        assertEquals(1, agg.uploads().size());
        assertEquals(Set.of("b"), agg.stragglers());
        assertTrue(agg.reason().startsWith("deadline"), agg.reason());
        var late = upload(run, "b", open.round(), TOKENS, at(16));
        assertEquals(Rule.DEADLINE, late.rule());
        assertTrue(late.reason().contains("being aggregated"), late.reason());
    }

    @Test
    void aLateUploadBeforeTheClosingTickIsRejectedWithReasonAndAnswersForTheNode() {
        var run = running(rules(2, 3, 10), "a", "b");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        upload(run, "a", open.round(), TOKENS, at(5));
        var late = upload(run, "b", open.round(), TOKENS, at(16));
        assertFalse(late.accepted());
        assertEquals(Rule.DEADLINE, late.rule());
        assertTrue(late.reason().contains("1000 ms after the deadline"), late.reason());
        Aggregate agg = only(run.tick(at(16), 0), Aggregate.class);
        assertEquals(1, agg.uploads().size());
        assertEquals(Set.of(), agg.stragglers(), "it answered, late");
        assertTrue(agg.reason().startsWith("every assigned node answered"), agg.reason());
    }

    @Test
    void deadlineWithNothingAcceptedFailsAndRetriesTheSameBatchesUnderANewRoundId() {
        var run = running(rules(1, 1, 10), "a");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        RoundFailed failed = only(run.tick(at(15), 0), RoundFailed.class);
        assertEquals(open.round(), failed.round());
        assertEquals(SEQ, failed.returned().size());
        assertEquals(RunPhase.WAITING_FOR_NODES, run.phase());
        run.checkInvariant();
        OpenRound retry = only(run.tick(at(16), 0), OpenRound.class);
        assertEquals(open.round() + 1, retry.round());
        assertEquals(open.baseVersion(), retry.baseVersion());
        assertArrayEquals(open.batches().get("a"), retry.batches().get("a"));
        var stale = upload(run, "a", open.round(), TOKENS, at(17));
        assertEquals(Rule.ROUND, stale.rule(), "an upload for the failed attempt never counts in the retry");
    }

    @Test
    void aVanishingNodesBatchesGoBackAtOnceAndTheRestAggregate() {
        var run = running(rules(1, 5, 10), "a", "b");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        List<BatchRef> back = run.nodeLeft("b", at(1));
        assertEquals(SEQ, back.size());
        assertArrayEquals(open.batches().get("b"), back.stream().mapToLong(BatchRef::id).toArray());
        run.checkInvariant();
        var gone = upload(run, "b", open.round(), TOKENS, at(2));
        assertEquals(Rule.DEADLINE, gone.rule());
        upload(run, "a", open.round(), TOKENS, at(2));
        Aggregate agg = only(run.tick(at(3), 0), Aggregate.class);
        assertTrue(agg.stragglers().isEmpty(), "a node that left is not a straggler");
        run.committed(open.round(), 1, Set.of(), at(4));
        OpenRound next = only(run.tick(at(5), 0), OpenRound.class);
        assertEquals(Set.of("a"), next.batches().keySet());
        assertArrayEquals(open.batches().get("b"), next.batches().get("a"), "b's batches are reassigned to a");
    }

    @Test
    void everyoneLeavingFailsTheRoundWithoutWaitingForTheDeadline() {
        var run = running(rules(1, 5, 10), "a");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        run.nodeLeft("a", at(1));
        RoundFailed failed = only(run.tick(at(2), 0), RoundFailed.class);
        assertTrue(failed.reason().contains("left"), failed.reason());
        assertTrue(failed.returned().isEmpty(), "a's batches already went back when it left");
        run.checkInvariant();
        assertTrue(run.tick(at(3), 0).isEmpty(), "no nodes, no round");
        assertEquals(open.round(), run.lastRound());
    }

    @Test
    void rejectsWrongRoundDuplicateUnassignedAndBadTokensWithReasons() {
        var run = running(rules(1, 5, 10), "a", "b", "c");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        long r = open.round();
        assertEquals(Rule.ROUND, upload(run, "a", r + 1, TOKENS, at(1)).rule());
        assertEquals(Rule.NOT_ASSIGNED, upload(run, "z", r, TOKENS, at(1)).rule());
        var tooMany = upload(run, "b", r, TOKENS + 1, at(1));
        assertEquals(Rule.TOKENS, tooMany.rule());
        assertTrue(tooMany.reason().contains(Long.toString(TOKENS)), tooMany.reason());
        assertEquals(Rule.DUPLICATE, upload(run, "b", r, TOKENS, at(1)).rule(), "a rejected answer is its answer");
        assertEquals(Rule.TOKENS, upload(run, "c", r, 0, at(1)).rule());
        assertTrue(upload(run, "a", r, TOKENS, at(1)).accepted(), "another round's upload was not a's answer");
        var dup = upload(run, "a", r, TOKENS, at(2));
        assertEquals(Rule.DUPLICATE, dup.rule());
        assertTrue(dup.reason().contains("already uploaded"), dup.reason());
    }

    @Test
    void theRoundRulesAnswerInRuleOrderAndThePayloadsIdentityRulesComeFirst() {
        var run = running(rules(1, 5, 10), "a", "b", "c");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        long r = open.round();
        var stale = run.uploadReceived(new RunStateMachine.Upload("a", r, 7, TOKENS, at(1), 1.0, null, 0),
                Verdict.accept());
        assertEquals(Rule.BASE_VERSION, stale.rule());
        assertTrue(stale.reason().contains("trained from version 7"), stale.reason());
        var forgedAndLate = upload(run, "b", r, TOKENS, open.deadline().plusMillis(250),
                Verdict.reject(Rule.SIGNATURE, "signature does not verify"));
        assertEquals(Rule.SIGNATURE, forgedAndLate.rule(), "who sent it is judged before when");
        var late = upload(run, "c", r, TOKENS, open.deadline().plusMillis(250));
        assertEquals(Rule.DEADLINE, late.rule());
        assertTrue(late.reason().contains("250 ms after the deadline"), late.reason());
        assertEquals(Rule.ROUND, upload(run, "a", r - 1, TOKENS, at(2)).rule(), "a replay of an older round");
        RoundFailed failed = only(run.tick(at(2), 0), RoundFailed.class);
        assertTrue(failed.reason().contains("every assigned node left or was rejected"), failed.reason());
    }

    @Test
    void anAcceptedUploadCarriesItsNormAndContentToAggregationAndADuplicateLeavesItAlone() {
        var run = running(rules(1, 5, 10), "a");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        assertTrue(run.uploadReceived(new RunStateMachine.Upload("a", open.round(), 0, TOKENS, at(1), 2.5, null, 3.25),
                Verdict.accept()).accepted());
        assertEquals(Rule.DUPLICATE, upload(run, "a", open.round(), TOKENS, at(2),
                Verdict.reject(Rule.CAPS, "malformed")).rule());
        Aggregate agg = only(run.tick(at(3), 0), Aggregate.class);
        assertEquals(1, agg.uploads().size(), "the duplicate did not discard the accepted upload");
        var up = agg.uploads().getFirst();
        assertEquals(2.5, up.l2Norm());
        assertEquals(3.25, up.localLoss());
        assertEquals(TOKENS, up.tokens());
        assertArrayEquals(open.batches().get("a"), up.batchIds());
    }

    @Test
    void aDiscardedUploadDoesNotCountAndItsBatchesReturn() {
        var run = running(rules(1, 5, 10), "a", "b");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        upload(run, "a", open.round(), TOKENS, at(1));
        var invalid = upload(run, "b", open.round(), TOKENS, at(1), Verdict.reject(Rule.SIGNATURE, "signature invalid"));
        assertEquals(Rule.SIGNATURE, invalid.rule());
        assertEquals(Rule.DUPLICATE, upload(run, "b", open.round(), TOKENS, at(2)).rule());
        Aggregate agg = only(run.tick(at(2), 0), Aggregate.class);
        assertEquals(1, agg.uploads().size());
        run.checkInvariant();
        RoundCommit commit = run.committed(open.round(), 1, Set.of(), at(3));
        assertEquals(Set.of("a"), commit.committed().keySet());
        run.checkInvariant();
    }

    @Test
    void anInvalidUploadCountsAsAnAnswerSoTheRoundDoesNotWaitForIt() {
        var run = running(rules(1, 5, 10), "a", "b");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        upload(run, "a", open.round(), TOKENS, at(1));
        upload(run, "b", open.round(), TOKENS, at(1), Verdict.reject(Rule.CAPS, "malformed update"));
        assertEquals(Rule.NOT_ASSIGNED, upload(run, "z", open.round(), TOKENS, at(1),
                Verdict.reject(Rule.CAPS, "malformed update")).rule(), "the round rule comes before the payload's");
        Aggregate agg = only(run.tick(at(2), 0), Aggregate.class);
        assertTrue(agg.reason().contains("every assigned node answered"), agg.reason());
        assertTrue(agg.stragglers().isEmpty(), "an invalid upload is not a straggler");
        run.checkInvariant();
    }

    @Test
    void updatesDroppedAtAggregationReturnTheirBatches() {
        var run = running(rules(1, 5, 10), "a", "b");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        upload(run, "a", open.round(), TOKENS, at(1));
        upload(run, "b", open.round(), TOKENS, at(1));
        only(run.tick(at(2), 0), Aggregate.class);
        RoundCommit commit = run.committed(open.round(), 1, Set.of("b"), at(3));
        assertEquals(SEQ, commit.returned().size());
        assertEquals(Set.of("a"), commit.tokens().keySet());
        run.checkInvariant();
        assertThrows(IllegalStateException.class, () -> run.committed(open.round(), 2, Set.of(), at(4)));
    }

    @Test
    void aggregationFailureReturnsEverythingAndRetries() {
        var run = running(rules(1, 5, 10), "a");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        upload(run, "a", open.round(), TOKENS, at(1));
        only(run.tick(at(2), 0), Aggregate.class);
        assertEquals(SEQ, run.aggregationFailed(open.round(), "every update was a norm outlier").size());
        run.checkInvariant();
        OpenRound retry = only(run.tick(at(3), 0), OpenRound.class);
        assertArrayEquals(open.batches().get("a"), retry.batches().get("a"));
    }

    @Test
    void pauseWaitsForTheRoundBoundaryAndResumeContinues() {
        var run = running(rules(1, 5, 10), "a");
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        run.pause();
        upload(run, "a", open.round(), TOKENS, at(1));
        only(run.tick(at(2), 0), Aggregate.class);
        run.committed(open.round(), 1, Set.of(), at(3));
        only(run.tick(at(4), 0), RunPaused.class);
        assertEquals(RunPhase.PAUSED, run.phase());
        assertTrue(run.tick(at(5), 0).isEmpty());
        assertEquals(Rule.DEADLINE, upload(run, "a", open.round(), TOKENS, at(5)).rule());
        run.resume();
        OpenRound next = only(run.tick(at(6), 0), OpenRound.class);
        assertEquals(1, next.baseVersion());
    }

    @Test
    void finishesAfterTheTotalRounds() {
        var run = running(rules(1, 1, 2), "a");
        for (int i = 1; i <= 2; i++) {
            OpenRound open = only(run.tick(at(10L * i), 0), OpenRound.class);
            upload(run, "a", open.round(), TOKENS, at(10L * i + 1));
            only(run.tick(at(10L * i + 2), 0), Aggregate.class);
            run.committed(open.round(), i, Set.of(), at(10L * i + 3));
        }
        RunFinished done = only(run.tick(at(40), 0), RunFinished.class);
        assertEquals(2, done.version());
        assertEquals(RunPhase.FINISHED, run.phase());
        assertTrue(run.tick(at(50), 0).isEmpty());
        assertEquals(Rule.DEADLINE, upload(run, "a", 2, TOKENS, at(50)).rule());
    }

    @Test
    void finishOnCommandDropsTheOpenRoundAndReturnsItsBatches() {
        var run = running(rules(1, 5, 10), "a");
        only(run.tick(T0, 0), OpenRound.class);
        run.finish("operator stop");
        var actions = run.tick(at(1), 0);
        assertEquals(2, actions.size(), actions.toString());
        assertInstanceOf(RoundFailed.class, actions.get(0));
        assertInstanceOf(RunFinished.class, actions.get(1));
        run.checkInvariant();
    }

    @Test
    void deadlineAdaptsToTheMeasuredSpeedOfTheSlowestNode() {
        var rules = new RunRules(1, 5, 100, CTX, 100, 10_000, 1, 0, DEADLINES); // 12,800 tokens per node
        var run = new RunStateMachine(rules);
        run.nodeReady("fast", 12_800, T0);
        run.nodeReady("slow", 12_800, T0);
        OpenRound first = only(run.tick(T0, 0), OpenRound.class);
        // Hello estimates: 1 s of work → 2 × 1 + 10 = 12 s, raised to the 15 s minimum.
        assertEquals(Duration.ofSeconds(15), Duration.between(first.opened(), first.deadline()));
        upload(run, "fast", first.round(), 12_800, at(2));
        upload(run, "slow", first.round(), 12_800, at(12)); // measured 1,066.7 tok/s
        only(run.tick(at(12), 0), Aggregate.class);
        run.committed(first.round(), 1, Set.of(), at(13));
        OpenRound second = only(run.tick(at(14), 0), OpenRound.class);
        // slow is now EWMA (12,800 + 1,066.7) / 2 = 6,933.3 tok/s: still under the minimum; a second slow
        // round pulls it down far enough for the deadline to grow past it.
        upload(run, "fast", second.round(), 12_800, at(15));
        upload(run, "slow", second.round(), 12_800, at(14 + 14)); // 914 tok/s
        only(run.tick(at(28), 0), Aggregate.class);
        run.committed(second.round(), 2, Set.of(), at(29));
        OpenRound third = only(run.tick(at(30), 0), OpenRound.class);
        double slow = run.speeds().get("slow");
        assertEquals((6933.333 + 914.286) / 2, slow, 0.01);
        long expectedMillis = (long) Math.ceil((2 * 12_800 / slow + 10) * 1000);
        assertEquals(expectedMillis, Duration.between(third.opened(), third.deadline()).toMillis());
        assertTrue(third.deadlineReason().contains("slow"), third.deadlineReason());
    }

    @Test
    void aNodeThatMissesGetsALongerDeadlineNextTime() {
        var run = running(rules(1, 5, 10), "a", "b");
        OpenRound first = only(run.tick(T0, 0), OpenRound.class);
        upload(run, "a", first.round(), TOKENS, at(1));
        only(run.tick(at(15), 0), Aggregate.class);
        run.committed(first.round(), 1, Set.of(), at(16));
        // b could not train 512 tokens in 15 s: at most 0.8 × 512 / 15 = 27.3 tok/s → 2 × 18.75 + 10 = 47.5 s
        OpenRound second = only(run.tick(at(17), 0), OpenRound.class);
        assertEquals(47_500, Duration.between(second.opened(), second.deadline()).toMillis());
    }

    @Test
    void spotCheckChoiceIsSeededAndFollowsTheFraction() {
        var nodes = new ArrayList<String>();
        for (int i = 0; i < 1000; i++) {
            nodes.add("node-" + i);
        }
        var a = SpotCheckSampler.choose(nodes, 0.25, 7, 99);
        assertEquals(a, SpotCheckSampler.choose(nodes, 0.25, 7, 99));
        assertNotEquals(a, SpotCheckSampler.choose(nodes, 0.25, 7, 100));
        assertTrue(a.size() > 200 && a.size() < 300, "about a quarter: " + a.size());
        assertTrue(SpotCheckSampler.choose(nodes, 0, 7, 99).isEmpty());
        assertEquals(1000, SpotCheckSampler.choose(nodes, 1, 7, 99).size());
        assertEquals(SpotCheckSampler.MIN_CHECKS_PER_ROUND,
                SpotCheckSampler.choose(nodes.subList(0, 8), 0.01, 7, 99).size(), "the floor in a small round");
    }

    @Test
    void aResumedRunContinuesWithNewRoundIdsFromItsVersion() {
        var rules = rules(1, 5, 10);
        var run = new RunStateMachine(rules, new BatchPool(100, 1), 7, 5);
        run.nodeReady("a", 1024, T0);
        OpenRound open = only(run.tick(T0, 0), OpenRound.class);
        assertEquals(8, open.round());
        assertEquals(5, open.baseVersion());
        var before = upload(run, "a", 7, TOKENS, at(1));
        assertEquals(Rule.ROUND, before.rule(), "a round from before the restart is not the open one");
        assertTrue(before.reason().contains("the open round is 8"), before.reason());
    }

    /// Many rounds with random departures, misses, rejections and drops: the pool's accounting holds after
    /// every step and no (epoch, id) is ever committed twice.
    @Test
    void noBatchIsCommittedTwiceOrLostUnderChurn() {
        var rules = new RunRules(1, 3, SEQ, CTX, 1000, 53, 9, 0.3, DEADLINES);
        var run = new RunStateMachine(rules);
        var rnd = new SplittableRandom(12345);
        var committed = new HashSet<BatchRef>();
        Instant now = T0;
        long version = 0;
        for (int step = 0; step < 400; step++) {
            now = now.plusSeconds(1 + rnd.nextInt(5));
            for (String n : List.of("a", "b", "c", "d")) {
                if (!run.readyNodes().contains(n) && rnd.nextInt(3) == 0) {
                    run.nodeReady(n, 1024, now);
                }
            }
            var view = run.openRound();
            if (view != null) {
                for (String n : view.assigned()) {
                    switch (rnd.nextInt(6)) {
                        case 0 -> run.nodeLeft(n, now);
                        case 1, 2 -> {
                            upload(run, n, view.round(), TOKENS, now, rnd.nextInt(5) == 0
                                    ? Verdict.reject(Rule.SIGNATURE, "invalid") : Verdict.accept());
                        }
                        default -> {
                        }
                    }
                }
            }
            for (RunAction action : run.tick(now, rnd.nextLong())) {
                if (action instanceof Aggregate agg) {
                    if (rnd.nextInt(10) == 0) {
                        run.aggregationFailed(agg.round(), "simulated");
                        continue;
                    }
                    Set<String> dropped = new HashSet<>();
                    for (var up : agg.uploads()) {
                        if (rnd.nextInt(6) == 0 && dropped.size() + 1 < agg.uploads().size()) {
                            dropped.add(up.nodeId());
                        }
                    }
                    RoundCommit c = run.committed(agg.round(), ++version, dropped, now);
                    c.committed().values().forEach(list -> list.forEach(ref ->
                            assertTrue(committed.add(ref), "batch " + ref + " committed twice")));
                }
            }
            run.checkInvariant();
        }
        assertTrue(version > 50, "the run made progress: " + version);
        assertTrue(run.pool().completedEpochs() >= 2, "several passes: " + run.pool().completedEpochs());
    }
}
