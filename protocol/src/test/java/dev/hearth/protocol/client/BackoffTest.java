package dev.hearth.protocol.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void nominalDelayDoublesUntilTheCap() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new Random(1));
        assertEquals(Duration.ofSeconds(1), backoff.nominalDelay(1));
        assertEquals(Duration.ofSeconds(2), backoff.nominalDelay(2));
        assertEquals(Duration.ofSeconds(32), backoff.nominalDelay(6));
        assertEquals(Duration.ofSeconds(60), backoff.nominalDelay(7));
        assertEquals(Duration.ofSeconds(60), backoff.nominalDelay(1_000_000), "no overflow for huge attempts");
    }

    @Test
    void jitteredDelayStaysBetweenHalfAndFullNominal() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), new Random(7));
        for (int attempt = 1; attempt < 40; attempt++) {
            long nominal = backoff.nominalDelay(attempt).toMillis();
            long delay = backoff.delay(attempt).toMillis();
            assertTrue(delay >= nominal / 2 && delay <= nominal, attempt + ": " + delay + " vs " + nominal);
        }
    }

    @Test
    void jitterSpreadsNodesThatFailTogether() {
        Set<Long> delays = new HashSet<>();
        Random shared = new Random(3);
        for (int node = 0; node < 20; node++) {
            delays.add(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), shared).delay(5).toMillis());
        }
        assertTrue(delays.size() > 15, "20 nodes should get (almost) 20 different delays: " + delays);
    }

    @Test
    void sameSeedGivesSameDelays() {
        Backoff a = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new Random(42));
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), new Random(42));
        for (int attempt = 1; attempt < 10; attempt++) {
            assertEquals(a.delay(attempt), b.delay(attempt));
        }
        assertNotEquals(Duration.ZERO, a.delay(1));
    }

    @Test
    void rejectsInvalidBounds() {
        assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), new Random()));
        assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), new Random()));
        Backoff backoff = Backoff.standard();
        assertThrows(IllegalArgumentException.class, () -> backoff.nominalDelay(0));
    }
}
