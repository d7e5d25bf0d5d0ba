package dev.hearth.node.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.ContributionHistory.DailyTotal;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.log.EventLog;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryStoreTest {

    private static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z"); // a Wednesday
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir Path dir;
    private EventLog log;
    private HistoryStore store;

    @BeforeEach
    void open() {
        log = new EventLog(CLOCK);
        store = HistoryStore.open(dir, CLOCK, log);
    }

    @AfterEach
    void close() {
        store.close();
    }

    static RoundRecord round(long n, Instant at, boolean accepted) {
        return new RoundRecord("nano-1", n, at, 1000 * n, 2.5, 40_000, 100_000, accepted,
                accepted ? "" : "norm too large", accepted ? 1.5 : 0, 3.25);
    }

    @Test
    void usesTheWriteAheadLog() throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + store.file()); var st = c.createStatement();
             var rs = st.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertEquals("wal", rs.getString(1));
        }
    }

    @Test
    void schemaComesFromVersionedMigrations() throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + store.file()); var st = c.createStatement();
             var rs = st.executeQuery("SELECT version, success FROM flyway_schema_history ORDER BY installed_rank")) {
            List<String> applied = new java.util.ArrayList<>();
            while (rs.next()) {
                assertTrue(rs.getBoolean(2));
                applied.add(rs.getString(1));
            }
            assertEquals(List.of("1", "2", "3"), applied);
        }
        store.close();
        store = HistoryStore.open(dir, CLOCK, log); // reopening applies nothing twice
    }

    @Test
    void totalsSumAcceptedAndRejectedRounds() {
        store.recordRound(round(1, NOW.minusSeconds(60), true));
        store.recordRound(round(2, NOW.minusSeconds(30), false));
        var t = store.totals();
        assertEquals(3000, t.tokens());
        assertEquals(5.0, t.computeSeconds());
        assertEquals(1, t.roundsAccepted());
        assertEquals(1, t.roundsRejected());
        assertEquals(1.5, t.credits());
        assertEquals(80_000, t.bytesUp());
        assertEquals(200_000, t.bytesDown());
    }

    @Test
    void emptyHistoryHasZeroTotals() {
        assertEquals(new dev.hearth.node.api.ContributionHistory.Totals(0, 0, 0, 0, 0, 0, 0), store.totals());
    }

    @Test
    void recordingTheSameRoundAgainReplacesIt() {
        store.recordRound(new RoundRecord("nano-1", 7, NOW, 500, 1, 10, 20, true, "", 0, Double.NaN));
        store.recordRound(new RoundRecord("nano-1", 7, NOW, 500, 1, 10, 20, true, "", 2.0, 3.0));
        var rounds = store.rounds(10, 0);
        assertEquals(1, rounds.size());
        assertEquals(2.0, rounds.getFirst().credits());
    }

    @Test
    void unknownLossRoundTripsAsNaN() {
        store.recordRound(new RoundRecord("nano-1", 1, NOW, 1, 1, 1, 1, true, "", 0, Double.NaN));
        assertTrue(Double.isNaN(store.rounds(1, 0).getFirst().localLoss()));
    }

    @Test
    void roundsArePagedMostRecentFirst() {
        for (int i = 1; i <= 5; i++) store.recordRound(round(i, NOW.minusSeconds(100 - i), true));
        assertEquals(List.of(5L, 4L), store.rounds(2, 0).stream().map(RoundRecord::round).toList());
        assertEquals(List.of(3L, 2L), store.rounds(2, 2).stream().map(RoundRecord::round).toList());
        assertEquals(List.of(1L), store.rounds(2, 4).stream().map(RoundRecord::round).toList());
        assertEquals(5, store.roundCount());
        assertThrows(IllegalArgumentException.class, () -> store.rounds(-1, 0));
    }

    @Test
    void rejectsRecordsWithImpossibleFields() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> store.recordRound(new RoundRecord("", 1, NOW, 1, 1, 1, 1, true, "", 0, 0)));
        assertTrue(e.getMessage().contains("run"));
        assertThrows(IllegalArgumentException.class,
                () -> store.recordRound(new RoundRecord("r", 1, NOW, -5, 1, 1, 1, true, "", 0, 0)));
    }

    @Test
    void perDayCountsEmptyDaysAsZeroInTheReadersZone() {
        // 23:30 UTC on Nov 24 is already Nov 25 in Berlin (UTC+1).
        store.recordRound(round(1, Instant.parse("2026-11-24T23:30:00Z"), true));
        store.recordRound(round(2, Instant.parse("2026-11-23T12:00:00Z"), true));
        List<DailyTotal> utc = store.perDay(3, ZoneOffset.UTC);
        assertEquals(List.of(LocalDate.of(2026, 11, 23), LocalDate.of(2026, 11, 24), LocalDate.of(2026, 11, 25)),
                utc.stream().map(DailyTotal::start).toList());
        assertEquals(List.of(2000L, 1000L, 0L), utc.stream().map(DailyTotal::tokens).toList());
        List<DailyTotal> berlin = store.perDay(3, ZoneId.of("Europe/Berlin"));
        assertEquals(List.of(2000L, 0L, 1000L), berlin.stream().map(DailyTotal::tokens).toList());
        assertEquals(1, berlin.get(2).rounds());
        assertEquals(1.5, berlin.get(2).credits());
    }

    @Test
    void perDayHandlesHalfHourZones() {
        // 18:45 UTC on Nov 24 is 00:15 on Nov 25 in India (UTC+5:30).
        store.recordRound(round(1, Instant.parse("2026-11-24T18:45:00Z"), true));
        List<DailyTotal> india = store.perDay(2, ZoneId.of("Asia/Kolkata"));
        assertEquals(List.of(0L, 1000L), india.stream().map(DailyTotal::tokens).toList());
    }

    @Test
    void perWeekStartsOnMondayAndIncludesEmptyWeeks() {
        store.recordRound(round(1, Instant.parse("2026-11-23T08:00:00Z"), true)); // Mon of this week
        store.recordRound(round(2, Instant.parse("2026-11-22T08:00:00Z"), true)); // Sun of last week
        store.recordRound(round(3, Instant.parse("2026-11-16T08:00:00Z"), true)); // Mon of last week
        List<DailyTotal> weeks = store.perWeek(3, ZoneOffset.UTC);
        assertEquals(List.of(LocalDate.of(2026, 11, 9), LocalDate.of(2026, 11, 16), LocalDate.of(2026, 11, 23)),
                weeks.stream().map(DailyTotal::start).toList());
        assertEquals(List.of(0L, 5000L, 1000L), weeks.stream().map(DailyTotal::tokens).toList());
        assertEquals(2, weeks.get(1).rounds());
    }

    @Test
    void sessionsRecordStartEndAndReason() {
        long a = store.startSession(NOW.minusSeconds(600));
        store.endSession(a, NOW.minusSeconds(300), "you are using the computer");
        long b = store.startSession(NOW.minusSeconds(100));
        var sessions = store.sessions(10);
        assertEquals(b, sessions.get(0).id());
        assertNull(sessions.get(0).end());
        assertEquals("you are using the computer", sessions.get(1).stopReason());
        assertEquals(NOW.minusSeconds(300), sessions.get(1).end());
        assertThrows(IllegalArgumentException.class, () -> store.endSession(a, NOW, "again"));
    }

    @Test
    void openingAfterACrashClosesTheOpenSessionAtItsLastRound() {
        long s = store.startSession(NOW.minusSeconds(600));
        store.recordRound(round(1, NOW.minusSeconds(500), true));
        store.recordRound(round(2, NOW.minusSeconds(400), true));
        // simulate a crash: reopen without ending the session (the old connections just go away)
        HistoryStore second = HistoryStore.open(dir, CLOCK, log);
        try {
            var session = second.sessions(1).getFirst();
            assertEquals(s, session.id());
            assertEquals(HistoryStore.CRASH_STOP_REASON, session.stopReason());
            assertEquals(NOW.minusSeconds(400), session.end());
            assertTrue(log.recent().stream().anyMatch(e -> e.message().contains("without shutting down")));
        } finally {
            second.close();
        }
    }

    @Test
    void closeEndsTheOpenSession() {
        store.startSession(NOW.minusSeconds(60));
        store.close();
        store = HistoryStore.open(dir, CLOCK, log);
        assertEquals(HistoryStore.CLOSE_STOP_REASON, store.sessions(1).getFirst().stopReason());
    }

    @Test
    void csvHasHeaderAndQuotesTextFields() throws Exception {
        store.recordRound(new RoundRecord("nano-1", 1, Instant.parse("2026-11-25T10:00:00Z"), 100, 1.5, 10, 20,
                false, "late, by \"2 s\"", 0, Double.NaN));
        store.recordRound(new RoundRecord("nano-1", 2, Instant.parse("2026-11-25T11:00:00Z"), 100, 1.5, 10, 20,
                false, "=HYPERLINK(\"x\")", 0, 2.5));
        StringWriter out = new StringWriter();
        store.exportCsv(out);
        String[] lines = out.toString().split("\r\n");
        assertEquals("run,round,finished_at,tokens,compute_seconds,bytes_up,bytes_down,accepted,reject_reason,credits,local_loss,"
                + "energy_kwh,energy_source,cost,currency", lines[0]);
        assertEquals("nano-1,1,2026-11-25T10:00:00Z,100,1.5,10,20,false,\"late, by \"\"2 s\"\"\",0.0,,,,,", lines[1]);
        assertEquals("nano-1,2,2026-11-25T11:00:00Z,100,1.5,10,20,false,\"'=HYPERLINK(\"\"x\"\")\",0.0,2.5,,,,", lines[2]);
        assertEquals(3, lines.length);
    }

    @Test
    void dailyVolumeAccumulatesAndSurvivesReopen() {
        LocalDate day = LocalDate.of(2026, 11, 25);
        store.add(day, 1000, 500);
        store.add(day, 10, 0);
        store.close();
        store = HistoryStore.open(dir, CLOCK, log);
        assertEquals(1510, store.bytesOn(day));
        assertEquals(0, store.bytesOn(day.minusDays(1)));
    }

    @Test
    void concurrentWritersAndReadersDoNotCorruptTheHistory() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            int base = t * 100;
            pool.submit(() -> {
                for (int i = 0; i < 25; i++) {
                    store.recordRound(round(base + i, NOW.minusSeconds(i), true));
                    store.totals();
                }
            });
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        assertEquals(100, store.roundCount());
    }

    @Test
    void aFileThatIsNotADatabaseIsReportedByName() throws Exception {
        Path other = Files.createDirectory(dir.resolve("other"));
        Files.writeString(other.resolve(HistoryStore.FILE_NAME), "this is not sqlite, just text ".repeat(200));
        var e = assertThrows(HistoryStore.HistoryException.class, () -> HistoryStore.open(other, CLOCK, log));
        assertTrue(e.getMessage().contains(other.resolve(HistoryStore.FILE_NAME).toString()), e.getMessage());
    }
}
