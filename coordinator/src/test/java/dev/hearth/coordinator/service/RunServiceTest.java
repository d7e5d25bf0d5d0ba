package dev.hearth.coordinator.service;

import dev.hearth.coordinator.checkpoint.Checkpoint;
import dev.hearth.coordinator.checkpoint.CheckpointStore;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.ledger.BatchAudit;
import dev.hearth.coordinator.ledger.RoundStats;
import dev.hearth.coordinator.ledger.UpdateRecord;
import dev.hearth.coordinator.run.RunAction;
import dev.hearth.coordinator.run.RunPhase;
import dev.hearth.coordinator.validation.UpdateView;
import dev.hearth.coordinator.run.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/// The run with its ledger and checkpoints, driven by hand (no network, no model: "training" adds a
/// node-specific constant to every parameter so the resumed parameters can be checked exactly).
class RunServiceTest {

    private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");
    private static final int PARAMS = 1000;
    private static final long WINDOWS = 40;
    private static final long TOKENS = 2 * 128; // sequences_per_node = 2, nano context 128

    @TempDir
    Path dir;

    private RunConfig config(int rounds) {
        return RunConfig.parse("""
                [run]
                id = "svc-test"
                total_rounds = %d
                [data]
                sequences_per_node = 2
                [optimizer]
                local_steps = 2
                [quorum]
                min_nodes = 3
                min_uploads = 3
                [checkpoint]
                every_rounds = 5
                [validation]
                spot_check_fraction = 0.0
                """.formatted(rounds), "run.toml", Map.of("server.data_dir", new RunConfig.Override("--data-dir", dir)));
    }

    private static UpdateView view(String node, long round, long base, Instant at, double norm) {
        return new UpdateView("svc-test", node, round, base, true, at, true, "", 0, norm);
    }

    /// One round: open, every node uploads (norm 1), commit with params + 1. Returns the new "now".
    private static Instant round(RunService run, Instant now, List<String> nodes) {
        return complete(run, (RunAction.OpenRound) run.tick(now, 1).getFirst(), now, nodes);
    }

    /// Every node uploads to the open round, which is then committed.
    private static Instant complete(RunService run, RunAction.OpenRound open, Instant now, List<String> nodes) {
        for (String n : nodes) {
            Verdict v = run.upload(view(n, open.round(), open.baseVersion(), now.plusSeconds(1), 1.0), TOKENS, 5000, null, 0);
            assertTrue(v.accepted(), v.reason());
        }
        var agg = (RunAction.Aggregate) run.tick(now.plusSeconds(2), 1).getFirst();
        assertTrue(run.normOutliers(agg).isEmpty());
        float[] next = run.params().clone();
        for (int i = 0; i < next.length; i++) {
            next[i] += 1;
        }
        run.commit(agg.round(), next, Map.of(),
                new RoundStats(3.0, Double.NaN, 0, 15_000, 3_000), Map.of(), now.plusSeconds(3));
        run.checkInvariant();
        return now.plusSeconds(4);
    }

    private static void ready(RunService run, Instant now, String... nodes) {
        for (String n : nodes) {
            assertTrue(run.admit(n, new byte[] {(byte) n.charAt(0)}, now).admitted());
            run.nodeReady(n, 10_000, now);
        }
    }

    @Test
    void aNewRunWritesVersionZeroAndCommitsRoundsWithCheckpointsEveryK() {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            assertEquals(List.of(0L), run.checkpoints().versions());
            ready(run, T0, "a", "b", "c");
            Instant now = T0;
            for (int i = 0; i < 6; i++) {
                now = round(run, now, List.of("a", "b", "c"));
            }
            assertEquals(6, run.version());
            assertEquals(List.of(5L, 0L), run.checkpoints().versions());
            assertEquals(5.0f, run.checkpoints().load(5).params()[0]);
            assertEquals(3 * 6 * TOKENS, run.ledger().leaderboard(10).stream().mapToLong(e -> e.credits()).sum());
            var status = run.dashboardSource(java.time.Clock.systemUTC()).status();
            assertEquals("COMMITTED", status.phase());
            assertEquals(6, status.version());
            assertEquals(3, status.nodesOnline());
            assertEquals(6, status.history().size());
            assertEquals(6 * 15_000, status.bytesIn());
        }
    }

    /// kill -9 mid-round at version 7 (checkpoint at 5): the restart resumes at 5, rolls back 6 and 7, abandons
    /// the open round, rejects uploads for it, and the run finishes with every batch committed exactly once.
    @Test
    void aRestartMidRoundResumesFromTheLastCheckpointAndLosesNoBatch() {
        Instant now = T0;
        long cutRound;
        try (var run = RunService.open(config(16), WINDOWS, () -> new float[PARAMS], now)) {
            ready(run, now, "a", "b", "c");
            for (int i = 0; i < 7; i++) {
                now = round(run, now, List.of("a", "b", "c"));
            }
            var open = (RunAction.OpenRound) run.tick(now, 1).getFirst();
            cutRound = open.round();
            assertTrue(run.upload(view("a", cutRound, 7, now.plusSeconds(1), 1), TOKENS, 10, null, 0).accepted());
            // the process dies here: no commit, nothing closed properly except the file handle
        }
        now = now.plusSeconds(60);
        try (var run = RunService.open(config(16), WINDOWS, () -> fail("must resume, not start over"), now)) {
            assertEquals(5, run.version());
            assertEquals(5.0f, run.params()[0], "the checkpoint's parameters");
            assertTrue(run.startupNotes().stream().anyMatch(n -> n.contains("rolled back")), run.startupNotes().toString());
            assertTrue(run.startupNotes().stream().anyMatch(n -> n.contains("abandoned")), run.startupNotes().toString());
            ready(run, now, "a", "b", "c");
            var open = (RunAction.OpenRound) run.tick(now, 1).getFirst();
            assertEquals(cutRound + 1, open.round(), "round ids keep growing across the restart");
            assertEquals(5, open.baseVersion());
            Verdict stale = run.upload(view("b", cutRound, 7, now.plusSeconds(1), 1), TOKENS, 10, null, 0);
            assertFalse(stale.accepted());
            assertTrue(stale.reason().contains("round " + cutRound), stale.reason());
            for (String n : List.of("a", "b", "c")) {
                assertTrue(run.upload(view(n, open.round(), 5, now.plusSeconds(1), 1), TOKENS, 10, null, 0).accepted());
            }
            var agg = (RunAction.Aggregate) run.tick(now.plusSeconds(2), 1).getFirst();
            float[] next = run.params().clone();
            java.util.Arrays.fill(next, 6);
            run.commit(agg.round(), next, Map.of(), RoundStats.none(), Map.of(), now.plusSeconds(3));
            now = now.plusSeconds(4);
            while (true) {
                RunAction action = run.tick(now, 1).getFirst();
                if (action instanceof RunAction.RunFinished) {
                    break;
                }
                now = complete(run, (RunAction.OpenRound) action, now, List.of("a", "b", "c"));
            }
            assertEquals(RunPhase.FINISHED, run.phase());
            assertEquals(16, run.version());
            assertEquals(List.of(16L, 15L), run.checkpoints().versions(), "the final version is always checkpointed");
            // 16 versions × 3 nodes × 2 windows = 96 = 2 full passes over 40 windows + 16
            BatchAudit audit = run.ledger().auditBatches();
            assertTrue(audit.everyBatchCommittedExactlyOnce(2), audit.problems().toString());
            assertEquals(Map.of(0, 40L, 1, 40L, 2, 16L), audit.perEpoch());
        }
    }

    /// Issue 14, point 1: a restart never resumes from a checkpoint with a non-finite value (one restored from
    /// elsewhere, or written by a build before the health checks): it is skipped like a corrupt file, the run resumes
    /// from the last healthy checkpoint, and the ledger's commits after it are rolled back and trained again.
    @Test
    void aRestartSkipsANonFiniteNewestCheckpointAndResumesFromTheLastHealthyOne() {
        Instant now = T0;
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], now)) {
            ready(run, now, "a", "b", "c");
            for (int i = 0; i < 10; i++) {
                now = round(run, now, List.of("a", "b", "c"));
            }
            assertEquals(List.of(10L, 5L), run.checkpoints().versions());
        }
        float[] sick = new float[PARAMS];
        java.util.Arrays.fill(sick, 10);
        sick[PARAMS / 2] = Float.NaN;
        new CheckpointStore(config(20).checkpointDir()).write(new Checkpoint("svc-test", 10, 10, sick));
        now = now.plusSeconds(60);
        try (var run = RunService.open(config(20), WINDOWS, () -> fail("must resume, not start over"), now)) {
            assertEquals(5, run.version(), "the newest healthy checkpoint");
            assertEquals(-1, dev.hearth.coordinator.health.ModelHealth.firstNonFinite(run.params()));
            assertEquals(5.0f, run.params()[0], "its parameters");
            assertEquals(5, run.ledger().position().lastVersion(), "the commits after it are rolled back");
            assertTrue(run.startupNotes().stream().anyMatch(n -> n.contains("not a healthy version")),
                    run.startupNotes().toString());
            assertTrue(run.startupNotes().stream().anyMatch(n -> n.contains("5 committed round(s) after checkpoint"
                    + " version 5 were rolled back")), run.startupNotes().toString());
            ready(run, now, "a", "b", "c");
            var open = (RunAction.OpenRound) run.tick(now, 1).getFirst();
            assertEquals(5, open.baseVersion(), "the next round trains from the healthy version");
        }
    }

    /// Random departures, invalid and late uploads, norm outliers, failed aggregations and one restart: the
    /// ledger never holds a batch twice and, once nothing is outstanding, every complete pass has every batch.
    @Test
    void churnWithARestartKeepsTheLedgerExact() {
        var rnd = new java.util.SplittableRandom(7);
        List<String> nodes = List.of("a", "b", "c", "d");
        Instant now = T0;
        for (int life = 0; life < 2; life++) {
            try (var run = RunService.open(config(1000), WINDOWS, () -> new float[PARAMS], now)) {
                for (int step = 0; step < 30; step++) {
                    now = now.plusSeconds(1 + rnd.nextInt(20));
                    for (String n : nodes) {
                        if (rnd.nextInt(4) == 0) {
                            run.nodeLeft(n, now);
                        } else if (run.admit(n, new byte[] {(byte) n.charAt(0)}, now).admitted()) {
                            run.nodeReady(n, 500 + rnd.nextInt(2000), now);
                        }
                    }
                    for (RunAction a : run.tick(now, rnd.nextLong())) {
                        if (a instanceof RunAction.OpenRound open) {
                            for (String n : open.batches().keySet()) {
                                Instant at = now.plusSeconds(rnd.nextInt(30));
                                boolean valid = rnd.nextInt(8) != 0;
                                var v = new UpdateView("svc-test", n, open.round(), open.baseVersion(), valid, at, true,
                                        "", 0, rnd.nextInt(10) == 0 ? 100.0 : 1.0);
                                if (rnd.nextInt(5) != 0) {
                                    run.upload(v, TOKENS, 100, null, 0);
                                }
                            }
                        } else if (a instanceof RunAction.Aggregate agg) {
                            if (rnd.nextInt(10) == 0) {
                                run.aggregationFailed(agg.round(), "simulated", now);
                                continue;
                            }
                            var dropped = new HashMap<String, String>();
                            run.normOutliers(agg).forEach((n, v) -> dropped.put(n, v.reason()));
                            if (dropped.size() == agg.uploads().size()) {
                                run.aggregationFailed(agg.round(), "every update dropped", now);
                                continue;
                            }
                            run.commit(agg.round(), run.params().clone(), Map.of(), RoundStats.none(),
                                    dropped, now);
                        }
                    }
                    run.checkInvariant();
                }
                var audit = run.ledger().auditBatches();
                assertEquals(0, audit.duplicates());
                assertEquals(0, audit.orphaned());
            }
        }
        try (var run = RunService.open(config(1000), WINDOWS, () -> new float[PARAMS], now)) {
            // After the restart nothing is outstanding: every id not committed is back in the pool, so each
            // earlier pass that the ledger shows complete must hold every batch exactly once.
            var audit = run.ledger().auditBatches();
            assertEquals(0, audit.duplicates());
            assertTrue(run.version() > 3, "progress: " + run.version());
            assertEquals(run.ledger().position().lastVersion(), run.version(), "checkpoint and ledger agree");
            run.checkInvariant();
        }
    }

    @Test
    void aNodeThatPausesWithBatchesOfTheOpenRoundSaysWhichRoundItGaveBackOnce() {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            assertTrue(run.nodeLeft("a", T0).isEmpty(), "no round open: nothing to give back");
            ready(run, T0, "a", "b", "c");
            var open = (RunAction.OpenRound) run.tick(T0, 1).getFirst();
            Instant t = T0.plusSeconds(1);
            assertTrue(run.upload(view("b", open.round(), 0, t, 1), TOKENS, 10, null, 0).accepted());
            assertEquals(java.util.OptionalLong.of(open.round()), run.nodeLeft("a", t), "its batches went back");
            assertTrue(run.nodeLeft("a", t).isEmpty(), "given back once");
            assertTrue(run.nodeLeft("b", t).isEmpty(), "an uploaded node's batches stay with its update");
        }
    }

    @Test
    void invalidUploadsAreRejectedWithReasonsAndRecorded() {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            ready(run, T0, "a", "b", "c");
            var open = (RunAction.OpenRound) run.tick(T0, 1).getFirst();
            long r = open.round();
            Instant t = T0.plusSeconds(1);
            Verdict caps = run.upload(new UpdateView("svc-test", "a", r, 0, true, t, false, "k 9999 above cap 4096", 0, 1),
                    TOKENS, 10, null, 0);
            assertEquals(Verdict.Rule.CAPS, caps.rule());
            Verdict again = run.upload(view("a", r, 0, t, 1), TOKENS, 10, null, 0);
            assertEquals(Verdict.Rule.DUPLICATE, again.rule(), "one upload per node per round, even after an invalid one");
            Verdict sig = run.upload(new UpdateView("svc-test", "b", r, 0, false, t, true, "", 0, 1), TOKENS, 10, null, 0);
            assertEquals(Verdict.Rule.SIGNATURE, sig.rule());
            Verdict late = run.upload(view("c", r, 0, open.deadline().plusMillis(1), 1), TOKENS, 10, null, 0);
            assertEquals(Verdict.Rule.DEADLINE, late.rule());
            assertTrue(late.reason().startsWith("late"), late.reason());

            var reasons = run.ledger().updates(r).stream().map(UpdateRecord::reason).toList();
            assertEquals(4, reasons.size());
            assertTrue(reasons.getFirst().contains("k 9999"), reasons.toString());
            // a and b answered (invalid), c is late: at the deadline nothing was accepted, the round is retried
            var failed = run.tick(open.deadline(), 1);
            assertInstanceOf(RunAction.RoundFailed.class, failed.getFirst(), failed.toString());
            assertEquals("FAILED", run.ledger().recentRounds(1).getFirst().status());
            run.checkInvariant();
        }
    }

    @Test
    void normOutliersAreDroppedAtCommitAndEarnNothing() {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            ready(run, T0, "a", "b", "c", "d");
            var open = (RunAction.OpenRound) run.tick(T0, 1).getFirst();
            var norms = Map.of("a", 1.0, "b", 1.1, "c", 0.9, "d", 50.0);
            norms.forEach((n, norm) -> assertTrue(run.upload(view(n, open.round(), 0, T0.plusSeconds(1), norm), TOKENS, 10, null, 0)
                    .accepted()));
            var agg = (RunAction.Aggregate) run.tick(T0.plusSeconds(2), 1).getFirst();
            Map<String, Verdict> outliers = run.normOutliers(agg);
            assertEquals(Set.of("d"), outliers.keySet());
            var dropped = new HashMap<String, String>();
            outliers.forEach((n, v) -> dropped.put(n, v.reason()));
            var done = run.commit(agg.round(), run.params().clone(), Map.of(), RoundStats.none(), dropped,
                    T0.plusSeconds(3));
            assertEquals(Set.of("a", "b", "c"), done.commit().committed().keySet());
            assertTrue(run.ledger().leaderboard(10).stream().noneMatch(e -> e.nodeId().equals("d")));
            run.checkInvariant();
        }
    }

    @Test
    void aNodeStruckOutBySpotChecksIsQuarantinedAndRefused() {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            ready(run, T0, "a", "b", "c");
            assertFalse(run.spotCheck("c", 1, 3.0, 3.5, T0).quarantine());
            assertFalse(run.spotCheck("c", 2, 3.0, 3.5, T0).quarantine());
            assertTrue(run.spotCheck("c", 3, 3.0, 3.5, T0).quarantine());
            assertEquals(Set.of("c"), run.quarantinedNodes());
            var admission = run.admit("c", new byte[] {'c'}, T0.plusSeconds(1));
            assertFalse(admission.admitted());
            assertTrue(admission.reason().contains("spot-check strikes"), admission.reason());
            assertEquals(2, run.nodesReady());
        }
        try (var again = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            assertEquals(Set.of("c"), again.quarantinedNodes(), "quarantine survives a restart");
        }
    }

    @Test
    void strikesSurviveARestart() {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            ready(run, T0, "a", "b", "c");
            run.tick(T0, 1); // round 1 open, so the strike window covers rounds 1..
            assertTrue(run.spotCheck("b", 1, 3.0, 3.5, T0).strike());
            assertTrue(run.spotCheck("b", 1, 3.0, 3.6, T0).strike());
            assertFalse(run.spotCheck("a", 1, 3.0, 2.9, T0).strike());
        }
        try (var again = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            var third = again.spotCheck("b", 2, 3.0, 3.5, T0.plusSeconds(1));
            assertEquals(3, third.strikesInWindow(), "two strikes from before the restart count");
            assertTrue(third.quarantine());
            assertEquals(Set.of("b"), again.quarantinedNodes());
        }
    }

    @Test
    void aFailedLedgerWriteStopsTheRunUntilARestart() {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            ready(run, T0, "a", "b", "c");
            var open = (RunAction.OpenRound) run.tick(T0, 1).getFirst();
            for (String n : List.of("a", "b", "c")) {
                run.upload(view(n, open.round(), 0, T0.plusSeconds(1), 1), TOKENS, 10, null, 0);
            }
            var agg = (RunAction.Aggregate) run.tick(T0.plusSeconds(2), 1).getFirst();
            run.ledger().close(); // the disk goes away
            assertThrows(RuntimeException.class, () -> run.commit(agg.round(), run.params().clone(), Map.of(),
                    RoundStats.none(), Map.of(), T0.plusSeconds(3)));
            assertTrue(run.broken().isPresent());
            var e = assertThrows(IllegalStateException.class, () -> run.tick(T0.plusSeconds(4), 1));
            assertTrue(e.getMessage().contains("restart the coordinator"), e.getMessage());
        }
    }

    @Test
    void aLedgerWithCommitsButNoCheckpointsIsRefusedNotSilentlyRestarted() throws Exception {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            ready(run, T0, "a", "b", "c");
            round(run, T0, List.of("a", "b", "c"));
        }
        try (var files = java.nio.file.Files.list(dir.resolve("checkpoints"))) {
            for (Path f : files.toList()) {
                java.nio.file.Files.delete(f);
            }
        }
        var e = assertThrows(IllegalStateException.class,
                () -> RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0));
        assertTrue(e.getMessage().contains("no checkpoint"), e.getMessage());
    }

    @Test
    void aTokenClaimAboveTheAssignmentIsRejected() {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            ready(run, T0, "a", "b", "c");
            var open = (RunAction.OpenRound) run.tick(T0, 1).getFirst();
            Verdict v = run.upload(view("a", open.round(), 0, T0.plusSeconds(1), 1), 10 * TOKENS, 10, null, 0);
            assertEquals(Verdict.Rule.TOKENS, v.rule());
            assertTrue(v.reason().contains("claims " + 10 * TOKENS), v.reason());
        }
    }

    @Test
    void aNodeIdWithAnotherKeyIsRefused() {
        try (var run = RunService.open(config(20), WINDOWS, () -> new float[PARAMS], T0)) {
            assertTrue(run.admit("a", new byte[] {1}, T0).admitted());
            var other = run.admit("a", new byte[] {2}, T0);
            assertFalse(other.admitted());
            assertTrue(other.reason().contains("different key"), other.reason());
        }
    }
}
