package dev.hearth.node.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.history.HistoryStore;
import dev.hearth.node.log.EventLog;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BandwidthTest {

    private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");
    private static final Instant T0 = ZonedDateTime.of(2026, 11, 25, 23, 0, 0, 0, ZONE).toInstant();

    @Test
    void unlimitedBucketNeverWaits() {
        TokenBucket b = new TokenBucket(0, new MutableClock(T0, ZONE));
        assertEquals(Duration.ZERO, b.acquire(1L << 40));
    }

    @Test
    void firstBurstIsFreeThenTrafficIsPacedAtTheRate() {
        MutableClock clock = new MutableClock(T0, ZONE);
        TokenBucket b = new TokenBucket(100_000, clock); // 100 kB/s, burst 25 kB
        assertEquals(Duration.ZERO, b.acquire(25_000));
        assertEquals(Duration.ofMillis(100), b.acquire(10_000), "10 kB in debt at 100 kB/s");
        assertEquals(Duration.ofMillis(200), b.acquire(10_000), "the debt adds up");
        clock.advance(Duration.ofMillis(200));
        assertEquals(Duration.ZERO, b.acquire(0), "paid off after the wait");
    }

    @Test
    void averageRateHoldsOverManyChunks() {
        MutableClock clock = new MutableClock(T0, ZONE);
        TokenBucket b = new TokenBucket(64 * 1024, clock);
        long sent = 0;
        for (int i = 0; i < 100; i++) {
            Duration wait = b.acquire(16 * 1024);
            clock.advance(wait); // the caller waits, then sends
            sent += 16 * 1024;
        }
        double seconds = Duration.between(T0, clock.instant()).toNanos() / 1e9;
        double rate = sent / seconds;
        // 100 chunks of 16 KiB at 64 KiB/s take 25 s minus the initial 250 ms burst.
        assertEquals(64 * 1024, rate, 64 * 1024 * 0.02);
    }

    @Test
    void aChunkLargerThanTheBurstIsAllowedButPacesTheNext() {
        MutableClock clock = new MutableClock(T0, ZONE);
        TokenBucket b = new TokenBucket(16 * 1024, clock);
        assertEquals(Duration.ZERO.plusNanos(0), b.acquire(0));
        Duration big = b.acquire(1024 * 1024);
        assertTrue(big.toMillis() > 60_000, "1 MiB at 16 KiB/s needs ~64 s: " + big);
    }

    @Test
    void idleTimeRefillsOnlyUpToTheBurst() {
        MutableClock clock = new MutableClock(T0, ZONE);
        TokenBucket b = new TokenBucket(100_000, clock);
        b.acquire(25_000);
        clock.advance(Duration.ofHours(1));
        assertEquals(Duration.ZERO, b.acquire(25_000));
        assertEquals(Duration.ofMillis(10), b.acquire(1_000), "an hour idle does not bank an hour of traffic");
    }

    @Test
    void lowerRateTakesEffectAtOnce() {
        MutableClock clock = new MutableClock(T0, ZONE);
        TokenBucket b = new TokenBucket(1_000_000, clock);
        b.acquire(0);
        b.setRate(20_000);
        assertEquals(Duration.ofMillis(750), b.acquire(20_000), "balance clipped to the new 5 kB burst");
        assertThrows(IllegalArgumentException.class, () -> b.setRate(-1));
    }

    @Test
    void dailyCapBlocksWhenUsedAndResetsAtLocalMidnight() {
        MutableClock clock = new MutableClock(T0, ZONE);
        DailyVolumeCap cap = new DailyVolumeCap(new VolumeLedger.InMemory(), clock, ZONE, 2_000_000);
        cap.record(1_500_000, 0);
        assertTrue(cap.allows(500_000));
        assertFalse(cap.allows(500_001));
        cap.record(0, 600_000);
        assertTrue(cap.exhausted());
        assertEquals("Daily network cap reached (1.9 MiB); resumes at midnight", cap.describe());
        assertEquals(ZonedDateTime.of(2026, 11, 26, 0, 0, 0, 0, ZONE).toInstant(), cap.resetsAt());
        clock.advance(Duration.ofMinutes(61)); // 00:01 local
        assertEquals(0, cap.usedToday());
        assertEquals("0 B of 1.9 MiB used today", cap.describe());
    }

    @Test
    void dailyCapSurvivesARestartThroughTheHistoryDatabase(@TempDir Path dir) {
        MutableClock clock = new MutableClock(T0, ZONE);
        EventLog log = new EventLog(clock);
        try (HistoryStore history = HistoryStore.open(dir, clock, log)) {
            new DailyVolumeCap(history, clock, ZONE, 10_000_000).record(3_000_000, 1_000_000);
        }
        try (HistoryStore history = HistoryStore.open(dir, clock, log)) {
            DailyVolumeCap again = new DailyVolumeCap(history, clock, ZONE, 10_000_000);
            assertEquals(4_000_000, again.usedToday());
            assertEquals(6_000_000, again.remainingToday());
        }
    }

    @Test
    void midnightIsTheOwnersEvenWhenTheNodeClockIsUtc() {
        // 23:30 UTC is already the next day in Berlin: a UTC clock must not move the reset to UTC midnight.
        MutableClock utc = new MutableClock(Instant.parse("2026-11-25T23:30:00Z"), java.time.ZoneOffset.UTC);
        DailyVolumeCap cap = new DailyVolumeCap(new VolumeLedger.InMemory(), utc, ZONE, 2_000_000);
        assertEquals(ZonedDateTime.of(2026, 11, 27, 0, 0, 0, 0, ZONE).toInstant(), cap.resetsAt());
    }

    @Test
    void noCapAllowsEverything() {
        DailyVolumeCap cap = new DailyVolumeCap(new VolumeLedger.InMemory(), new MutableClock(T0, ZONE), ZONE, 0);
        cap.record(5_000_000_000L, 0);
        assertTrue(cap.allows(Long.MAX_VALUE));
        assertEquals("4.7 GiB used today (no cap)", cap.describe());
    }
}
