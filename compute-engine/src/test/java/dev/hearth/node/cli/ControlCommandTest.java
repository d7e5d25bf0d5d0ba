package dev.hearth.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.NodeState;
import dev.hearth.node.control.ControlFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 16 item 4: `hearth pause | resume | snooze | finish | status --json` against a real node (its own
/// threads, history and control API; it trains in-process and has joined no run, so nothing trains).
class ControlCommandTest {

    @TempDir Path dir;
    private NodeRuntime node;

    @BeforeEach
    void startNode() {
        node = NodeRuntime.start(dir, Clock.systemUTC(), true, log -> new AwayOwnerProbes("Test machine: training on the CPU."));
    }

    @AfterEach
    void stopNode() {
        node.close();
    }

    private record Answer(int rc, String out) {
        String line() {
            return out.strip();
        }
    }

    private Answer hearth(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int rc = NodeMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Answer(rc, out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void pauseAnswersInOneLineAndTheNodeIsPausedByTheOwner() {
        Answer a = hearth("pause", "--data-dir", dir.toString());

        assertEquals(0, a.rc(), a.out());
        assertEquals(1, a.line().lines().count(), a.out());
        assertEquals("Paused — you paused Hearth", a.line());
        assertTrue(node.snapshot().pausedByOwner());
        assertEquals(NodeState.PAUSED, node.snapshot().state());
    }

    @Test
    void resumeUndoesThePause() {
        hearth("pause", "--data-dir", dir.toString());

        Answer a = hearth("resume", "--data-dir", dir.toString());

        assertEquals(0, a.rc(), a.out());
        assertEquals(1, a.line().lines().count(), a.out());
        assertFalse(node.snapshot().pausedByOwner(), a.out());
        assertFalse(a.line().contains("Paused"), a.line());
    }

    @Test
    void snoozePausesForTheGivenTime() {
        Instant before = Instant.now();

        Answer a = hearth("snooze", "1h", "--data-dir", dir.toString());

        assertEquals(0, a.rc(), a.out());
        assertTrue(a.line().startsWith("Snoozed until "), a.line());
        Instant until = node.snapshot().snoozedUntil();
        assertNotNull(until);
        assertTrue(!until.isBefore(before.plus(Duration.ofHours(1))) && until.isBefore(Instant.now().plus(Duration.ofHours(1))),
                "snoozed until " + until);
        assertTrue(node.snapshot().pausedByOwner());
    }

    @Test
    void finishWithNoRoundInProgressPausesAtOnceAndSaysSo() {
        Answer a = hearth("finish", "--data-dir", dir.toString());

        assertEquals(0, a.rc(), a.out());
        assertEquals("Paused — you paused Hearth", a.line());
        assertTrue(node.snapshot().pausedByOwner());
    }

    @Test
    void statusJsonIsOneObjectFromTheLiveNode() throws Exception {
        hearth("pause", "--data-dir", dir.toString());

        Answer a = hearth("status", "--json", "--data-dir", dir.toString());

        assertEquals(0, a.rc(), a.out());
        assertEquals(1, a.line().lines().count(), a.out());
        JsonNode s = new ObjectMapper().readTree(a.line());
        assertTrue(s.path("running").asBoolean());
        assertEquals("PAUSED", s.path("state").asText());
        assertTrue(s.path("pausedByOwner").asBoolean());
        assertEquals(ProcessHandle.current().pid(), s.path("pid").asLong());
        assertEquals(0, s.path("totals").path("tokens").asLong());
        assertEquals("WHEN_IDLE", s.path("policy").asText());
    }

    @Test
    void statusShowsTheCpuLimitTheOwnerSet() throws Exception {
        node.updateSettings(node.settings().toBuilder().cpuPercent(50).build());
        int cores = Runtime.getRuntime().availableProcessors();

        Answer text = hearth("status", "--data-dir", dir.toString());
        Answer json = hearth("status", "--json", "--data-dir", dir.toString());

        assertEquals(0, text.rc(), text.out());
        assertTrue(text.out().lines().anyMatch(l -> l.equals("CPU limit: 50 % of " + cores + (cores == 1 ? " core" : " cores"))),
                text.out());
        JsonNode limit = new ObjectMapper().readTree(json.line()).path("cpuLimit");
        assertEquals(50, limit.path("percent").asInt(), json.out());
        assertEquals(0, limit.path("cores").asInt(), "0 = every core");
        assertEquals(cores, limit.path("threads").asInt());
    }

    @Test
    void theTokenFileIsTheOwnersOnly() throws Exception {
        Path f = dir.resolve(ControlFile.FILE_NAME);
        assertTrue(Files.exists(f));
        if (f.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        }
    }

    @Test
    void aStoppedNodeLeavesNoControlFileAndVerbsSayItIsNotRunning() {
        node.close();

        Answer a = hearth("pause", "--data-dir", dir.toString());

        assertFalse(Files.exists(dir.resolve(ControlFile.FILE_NAME)));
        assertEquals(ControlCommand.NOT_RUNNING, a.rc());
        assertTrue(a.line().startsWith("Hearth is not running"), a.line());
    }

    @Test
    void aSnoozeOutsideOneMinuteToSevenDaysIsBadUsage() {
        Answer a = hearth("snooze", "30d", "--data-dir", dir.toString());

        assertEquals(2, a.rc());
        assertTrue(a.out().contains("from 1 minute to 7 days"), a.out());
        assertNull(node.snapshot().snoozedUntil());
    }
}
