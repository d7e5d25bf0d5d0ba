package dev.hearth.coordinator.ledger;

import dev.hearth.coordinator.run.BatchPool;
import dev.hearth.coordinator.run.BatchRef;
import dev.hearth.coordinator.run.DeadlinePolicy;
import dev.hearth.coordinator.run.RoundCommit;
import dev.hearth.coordinator.run.RunAction;
import dev.hearth.coordinator.run.RunRules;
import dev.hearth.coordinator.run.RunStateMachine;
import dev.hearth.coordinator.run.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class LedgerTest {

    private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");

    @TempDir
    Path dir;

    /// Opens the ledger under test again (SQLite here; PostgresLedgerTest runs every test on PostgreSQL).
    Ledger reopen() {
        return Ledger.open(dir.resolve("data/ledger.db"));
    }

    /// What [Ledger#durability] must say.
    String expectedDurability() {
        return "journal_mode=wal, synchronous=FULL";
    }

    private Ledger open() {
        var ledger = reopen();
        ledger.bindRun("run-1", "demo", 20, 7, T0);
        return ledger;
    }

    private static RoundCommit commit(long round, long version, Map<String, List<BatchRef>> batches) {
        var tokens = new java.util.TreeMap<String, Long>();
        batches.forEach((n, b) -> tokens.put(n, b.size() * 128L));
        return new RoundCommit(round, version - 1, version, T0, T0.plusSeconds(round), batches, tokens, List.of());
    }

    @Test
    void opensWithDurableCommits() {
        try (var ledger = open()) {
            assertEquals(expectedDurability(), ledger.durability());
        }
    }

    /// Heartbeats of many nodes are buffered and written in batches; what was seen is all there after a flush,
    /// and a close writes what is pending (nothing is lost by a clean restart).
    @Test
    void nodeActivityIsBatchedAndSurvivesAClose() {
        try (var ledger = open()) {
            ledger.nodeSeen("first", new byte[] {1, 2, 3}, T0);
            assertArrayEquals(new byte[] {1, 2, 3}, ledger.publicKey("first").orElseThrow(), "a buffered key reads back");
            for (int i = 0; i < Ledger.NODE_ACTIVITY_BATCH + 100; i++) {
                ledger.nodeActive("n" + i, T0.plusMillis(i)); // all within the flush interval: batched by count
            }
            assertEquals(Ledger.NODE_ACTIVITY_BATCH + 101, ledger.summary().nodesSeen());
            ledger.nodeActive("late", T0.plusSeconds(1));
        }
        try (var again = reopen()) {
            assertEquals(Ledger.NODE_ACTIVITY_BATCH + 102, again.summary().nodesSeen(), "the pending sighting was written at close");
            assertArrayEquals(new byte[] {1, 2, 3}, again.publicKey("first").orElseThrow());
        }
    }

    @Test
    void aFreshLedgerStartsAtRoundZeroAndRefusesAnotherRun() {
        try (var ledger = open()) {
            assertEquals(new Ledger.Position(0, 0), ledger.position());
            var e = assertThrows(LedgerException.class, () -> ledger.bindRun("run-2", "other", 20, 7, T0));
            assertTrue(e.getMessage().contains("belongs to run 'run-1'"), e.getMessage());
            var corpus = assertThrows(LedgerException.class, () -> ledger.bindRun("run-1", "demo", 21, 7, T0));
            assertTrue(corpus.getMessage().contains("corpus or seed changed"), corpus.getMessage());
        }
    }

    @Test
    void aCommitStoresItsBatchesCreditsStatsAndUpdateVerdicts() {
        try (var ledger = open()) {
            ledger.nodeSeen("a", new byte[] {1, 2}, T0);
            ledger.nodeSeen("b", null, T0);
            ledger.roundOpened(1, 0, T0, T0.plusSeconds(15));
            ledger.recordUpdate(new UpdateRecord(1, "a", true, "accepted", 1000, 256, 1.5, T0.plusSeconds(3)));
            ledger.recordUpdate(new UpdateRecord(1, "b", true, "accepted", 900, 128, 9.0, T0.plusSeconds(4)));
            ledger.recordUpdate(new UpdateRecord(1, "c", false, "late: arrived 10 ms after the deadline", 800, 128,
                    Double.NaN, T0.plusSeconds(16)));
            var c = new RoundCommit(1, 0, 1, T0, T0.plusSeconds(17),
                    Map.of("a", List.of(new BatchRef(0, 3), new BatchRef(0, 4))), Map.of("a", 256L),
                    List.of(new BatchRef(0, 5)));
            ledger.commitRound(c, new RoundStats(2.5, 2.7, 1, 2700, 5000), Map.of("b", "norm 9.0 above 5 × median 1.5"));

            assertEquals(new Ledger.Position(1, 1), ledger.position());
            RoundRow row = ledger.recentRounds(10).getFirst();
            assertEquals("COMMITTED", row.status());
            assertEquals(1, row.version());
            assertEquals(2.5, row.meanLoss());
            assertEquals(2.7, row.valLoss());
            assertEquals(256, row.tokens());
            assertEquals(1, row.accepted());
            assertEquals(2, row.rejected(), "one rejected on arrival, one dropped at aggregation");
            assertEquals(17_000, row.duration().toMillis());
            assertEquals(Map.of("a", 2L), ledger.committedBatchCounts(1));

            var updates = ledger.updates(1);
            assertEquals(3, updates.size());
            assertTrue(updates.get(0).accepted());
            assertFalse(updates.get(1).accepted());
            assertTrue(updates.get(1).reason().startsWith("norm"), updates.get(1).reason());
            assertTrue(updates.get(2).reason().startsWith("late"));
            assertTrue(Double.isNaN(updates.get(2).norm()));

            assertEquals(List.of(new LeaderboardEntry("a", 256, 1, false)), ledger.leaderboard(10));
            assertArrayEquals(new byte[] {1, 2}, ledger.publicKey("a").orElseThrow());
            RunSummary s = ledger.summary();
            assertEquals("run-1", s.runId());
            assertEquals(256, s.tokens());
            assertEquals(2, s.nodesSeen());
            assertEquals(1, s.acceptedUpdates());
            assertEquals(2, s.rejectedUpdates());
            assertEquals(2700, s.bytesIn());
        }
    }

    @Test
    void committingABatchTwiceInAnEpochIsRefusedAndWritesNothing() {
        try (var ledger = open()) {
            ledger.roundOpened(1, 0, T0, T0.plusSeconds(15));
            ledger.commitRound(commit(1, 1, Map.of("a", List.of(new BatchRef(0, 1)))), RoundStats.none(), Map.of());
            ledger.roundOpened(2, 1, T0, T0.plusSeconds(15));
            var e = assertThrows(LedgerException.class, () -> ledger.commitRound(
                    commit(2, 2, Map.of("b", List.of(new BatchRef(0, 2), new BatchRef(0, 1)))), RoundStats.none(), Map.of()));
            assertTrue(e.getMessage().contains("already committed"), e.getMessage());
            assertEquals(new Ledger.Position(2, 1), ledger.position(), "round 2 is still open, version unchanged");
            assertEquals(Map.of(), ledger.committedBatchCounts(2));
            assertEquals("OPEN", ledger.recentRounds(1).getFirst().status());
            // The same id in the next epoch is a new pass, and fine.
            ledger.commitRound(commit(2, 2, Map.of("b", List.of(new BatchRef(1, 1)))), RoundStats.none(), Map.of());
        }
    }

    @Test
    void aNodeQuarantinedLaterForfeitsTheCreditsItEarnedBefore() {
        try (var ledger = open()) {
            ledger.nodeSeen("a", null, T0);
            ledger.roundOpened(1, 0, T0, T0.plusSeconds(15));
            ledger.commitRound(commit(1, 1, Map.of("a", List.of(new BatchRef(0, 0)))), RoundStats.none(), Map.of());
            assertTrue(ledger.leaderboard(5).getFirst().credits() > 0, "credited while not quarantined");
            ledger.quarantine("a", "3 spot-check strikes in 10 rounds", T0.plusSeconds(20));
            assertEquals(0, ledger.leaderboard(5).getFirst().credits());
        }
    }

    @Test
    void quarantineSurvivesReopeningAndEarnsNoCredits() {
        try (var ledger = open()) {
            ledger.nodeSeen("a", null, T0);
            ledger.quarantine("a", "3 spot-check strikes in 10 rounds", T0.plusSeconds(1));
            ledger.roundOpened(1, 0, T0, T0.plusSeconds(15));
            ledger.commitRound(commit(1, 1, Map.of("a", List.of(new BatchRef(0, 0)))), RoundStats.none(), Map.of());
            assertEquals(0, ledger.leaderboard(5).getFirst().credits());
            assertTrue(ledger.leaderboard(5).getFirst().quarantined());
        }
        try (var again = reopen()) {
            assertEquals(Set.of("a"), again.quarantinedNodes());
            assertEquals("3 spot-check strikes in 10 rounds", again.quarantineReason("a").orElseThrow());
            assertTrue(again.quarantineReason("b").isEmpty());
        }
    }

    @Test
    void rollbackAfterACheckpointUncommitsLaterRounds() {
        try (var ledger = open()) {
            for (int r = 1; r <= 3; r++) {
                ledger.roundOpened(r, r - 1, T0, T0.plusSeconds(15));
                ledger.commitRound(commit(r, r, Map.of("a", List.of(new BatchRef(0, r)))), RoundStats.none(), Map.of());
            }
            assertEquals(2, ledger.rollbackAfter(1));
            assertEquals(new Ledger.Position(3, 1), ledger.position());
            assertEquals(128, ledger.leaderboard(1).getFirst().credits());
            assertEquals(Map.of(0, 1L), ledger.auditBatches().perEpoch());
            assertEquals("ROLLED_BACK", ledger.recentRounds(3).get(2).status());
            assertTrue(ledger.auditBatches().problems().isEmpty(), ledger.auditBatches().problems().toString());
            ledger.roundOpened(4, 1, T0, T0.plusSeconds(15));
            ledger.commitRound(commit(4, 2, Map.of("a", List.of(new BatchRef(0, 4)))), RoundStats.none(), Map.of());
            assertEquals(Map.of(1L, 1L, 2L, 4L), ledger.committedRoundsFrom(1),
                    "version 2 is round 4's now; the rolled-back rounds commit no version");
        }
    }

    /// A run driven by the state machine, persisted round by round, "killed" mid-round, reopened, restored,
    /// and run past two passes over the corpus: the ledger shows every batch committed exactly once.
    @Test
    void aRestartMidRoundResumesAndEveryBatchIsCommittedExactlyOnce() {
        var rules = new RunRules(1, 2, 3, 128, 1000, 20, 7, 0, DeadlinePolicy.defaults());
        Instant now = T0;
        try (var ledger = open()) {
            var run = new RunStateMachine(rules);
            run.nodeReady("a", 1000, now);
            run.nodeReady("b", 1000, now);
            for (int i = 0; i < 3; i++) {
                now = drive(run, ledger, now, true);
            }
            now = drive(run, ledger, now, false); // opens round 4 and dies before anyone uploads
        }
        try (var ledger = reopen()) {
            ledger.bindRun("run-1", "demo", 20, 7, now);
            assertEquals(1, ledger.abandonOpenRounds(now));
            var pos = ledger.position();
            assertEquals(new Ledger.Position(4, 3), pos);
            var pool = BatchPool.restore(20, 7, ledger.committedBatchesForRestore(20));
            var run = new RunStateMachine(rules, pool, pos.lastRound(), pos.lastVersion());
            run.nodeReady("a", 1000, now);
            run.nodeReady("b", 1000, now);
            run.checkInvariant();
            while (run.pool().completedEpochs() < 2) {
                now = drive(run, ledger, now, true);
                run.checkInvariant();
            }
            BatchAudit audit = ledger.auditBatches();
            assertTrue(audit.everyBatchCommittedExactlyOnce(2), audit.problems().toString());
            assertEquals(20L, audit.perEpoch().get(0));
            assertEquals(20L, audit.perEpoch().get(1));
            assertEquals(0, audit.duplicates());
            assertEquals("ABANDONED", ledger.recentRounds(100).get(3).status());
        }
    }

    /// Opens a round, and if `finish`, has both nodes upload and commits it.
    private static Instant drive(RunStateMachine run, Ledger ledger, Instant now, boolean finish) {
        now = now.plusSeconds(1);
        var open = (RunAction.OpenRound) run.tick(now, 0).getFirst();
        ledger.roundOpened(open.round(), open.baseVersion(), open.opened(), open.deadline());
        if (!finish) {
            return now;
        }
        for (String node : open.batches().keySet()) {
            assertTrue(run.uploadReceived(new RunStateMachine.Upload(node, open.round(), open.baseVersion(), 3 * 128,
                    now.plusSeconds(1), 1, null, 0), Verdict.accept()).accepted());
            ledger.recordUpdate(new UpdateRecord(open.round(), node, true, "accepted", 100, 3 * 128, 1, now));
        }
        now = now.plusSeconds(2);
        var agg = (RunAction.Aggregate) run.tick(now, 0).getFirst();
        RoundCommit c = run.committed(agg.round(), run.version() + 1, Set.of(), now);
        ledger.commitRound(c, RoundStats.none(), Map.of());
        return now;
    }
}
