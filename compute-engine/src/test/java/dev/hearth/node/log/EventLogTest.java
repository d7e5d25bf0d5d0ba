package dev.hearth.node.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.LogEntry.Level;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventLogTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void keepsOnlyTheNewestLinesOldestFirst() {
        EventLog log = new EventLog(3, CLOCK);
        for (int i = 1; i <= 5; i++) log.logger("t").info("line " + i);
        assertEquals(List.of("line 3", "line 4", "line 5"), log.recent().stream().map(LogEntry::message).toList());
    }

    @Test
    void dropsLinesBelowTheLevel() {
        EventLog log = new EventLog(CLOCK);
        assertNull(log.log(Level.DEBUG, "t", "noise"));
        log.setLevel("DEBUG");
        log.logger("t").debug("now kept");
        log.logger("t").warn("careful");
        assertEquals(2, log.recent().size());
        assertEquals(List.of("careful"), log.recent(Level.WARN).stream().map(LogEntry::message).toList());
        log.setLevel("nonsense");
        assertEquals(Level.INFO, log.level());
    }

    @Test
    void listenersHearNewLinesOnTheirExecutorUntilRemoved() throws Exception {
        EventLog log = new EventLog(CLOCK);
        List<String> heard = new ArrayList<>();
        List<Runnable> queued = new ArrayList<>();
        AutoCloseable sub = log.addListener(e -> heard.add(e.message()), queued::add);
        log.logger("t").info("one");
        assertTrue(heard.isEmpty(), "not called on the logging thread");
        queued.forEach(Runnable::run);
        assertEquals(List.of("one"), heard);
        sub.close();
        log.logger("t").info("two");
        assertEquals(1, queued.size());
    }

    @Test
    void exceptionsAreLoggedAsTheirMessage() {
        EventLog log = new EventLog(CLOCK);
        log.logger("net").error("upload failed", new java.io.IOException("connection reset"));
        assertEquals("upload failed: connection reset", log.recent().getFirst().message());
        assertEquals(Instant.parse("2026-11-25T12:00:00Z"), log.recent().getFirst().at());
    }

    @Test
    void concurrentAppendsKeepTheBound() throws Exception {
        EventLog log = new EventLog(100, CLOCK);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) pool.submit(() -> { for (int i = 0; i < 150; i++) log.log(Level.INFO, "t", "x"); });
        pool.shutdown();
        assertTrue(pool.awaitTermination(20, TimeUnit.SECONDS));
        assertEquals(100, log.recent().size());
    }

    @Test
    void rejectsAZeroCapacity() {
        assertThrows(IllegalArgumentException.class, () -> new EventLog(0, CLOCK));
    }
}
