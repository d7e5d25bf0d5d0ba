package dev.hearth.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.history.HistoryStore;
import dev.hearth.node.log.EventLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 16 item 3: `./hearth status` reads; it must never close the live node's session.
class StatusCommandTest {

    @Test
    void statusWhileASessionIsLiveLeavesTheSessionOpen(@TempDir Path dir) {
        Clock clock = Clock.systemUTC();
        try (HistoryStore live = HistoryStore.open(dir, clock, new EventLog(clock))) {
            long session = live.startSession(Instant.now());
            live.recordRound(new RoundRecord("nano", 1, Instant.now(), 2048, 3.0, 45_356, 1 << 20, true, "", 8192, 3.5));

            var out = new ByteArrayOutputStream();
            int rc = StatusCommand.print(dir, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);

            assertEquals(0, rc);
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("2048 tokens"), out.toString(StandardCharsets.UTF_8));
            var newest = live.sessions(1).getFirst();
            assertEquals(session, newest.id());
            assertNull(newest.end(), "the live session is still open after status: " + newest);
            assertEquals(session, live.currentSession());
        }
    }

    @Test
    void statusOnAFreshDataDirCreatesNoHistory(@TempDir Path dir) {
        int rc = StatusCommand.print(dir, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), System.err);

        assertEquals(0, rc);
        assertFalse(Files.exists(dir.resolve(HistoryStore.FILE_NAME)), "status created history.db");
    }

    @Test
    void aReadOnlyHistoryRefusesWrites(@TempDir Path dir) {
        Clock clock = Clock.systemUTC();
        try (HistoryStore live = HistoryStore.open(dir, clock, new EventLog(clock))) {
            live.startSession(Instant.now());
            try (HistoryStore ro = HistoryStore.openReadOnly(dir, clock, new EventLog(clock)).orElseThrow()) {
                var e = assertThrows(IllegalStateException.class, () -> ro.startSession(Instant.now()));
                assertTrue(e.getMessage().contains("read-only"), e.getMessage());
            }
        }
    }
}
