package dev.hearth.coordinator.run;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class DeadlinePolicyTest {

    private final DeadlinePolicy policy = new DeadlinePolicy(2.0, Duration.ofSeconds(10), Duration.ofSeconds(15),
            Duration.ofMinutes(10));

    @Test
    void coversTheSlowestNodeTimesTheFactorPlusSlack() {
        var choice = policy.choose(Map.of("fast", 10_000L, "slow", 10_000L), Map.of("fast", 1000.0, "slow", 100.0));
        assertEquals(Duration.ofSeconds(210), choice.duration(), "2 × 100 s + 10 s");
        assertTrue(choice.reason().contains("slow"), choice.reason());
    }

    @Test
    void raisesToTheMinimumAndCapsAtTheMaximum() {
        var fast = policy.choose(Map.of("a", 100L), Map.of("a", 1000.0));
        assertEquals(Duration.ofSeconds(15), fast.duration());
        assertTrue(fast.reason().contains("minimum"), fast.reason());
        var slow = policy.choose(Map.of("a", 1_000_000L), Map.of("a", 10.0));
        assertEquals(Duration.ofMinutes(10), slow.duration());
        assertTrue(slow.reason().contains("maximum"), slow.reason());
    }

    @Test
    void unknownSpeedGivesTheMaximumWithAReason() {
        var choice = policy.choose(Map.of("new", 100L), Map.of());
        assertEquals(Duration.ofMinutes(10), choice.duration());
        assertTrue(choice.reason().contains("new"), choice.reason());
    }

    @Test
    void rejectsNonsenseBounds() {
        assertThrows(IllegalArgumentException.class,
                () -> new DeadlinePolicy(0.5, Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(2)));
        assertThrows(IllegalArgumentException.class,
                () -> new DeadlinePolicy(2, Duration.ZERO, Duration.ofSeconds(3), Duration.ofSeconds(2)));
    }

    @Test
    void speedFollowsUploadsAndDropsAfterAMiss() {
        var speeds = new SpeedTracker();
        speeds.estimate("n", 1000);
        assertEquals(1000, speeds.speed("n"), 1e-9);
        speeds.measured("n", 2000, Duration.ofSeconds(4)); // 500 tok/s
        assertEquals(750, speeds.speed("n"), 1e-9);
        speeds.estimate("n", 5000); // a reconnect's Hello does not override a measurement
        assertEquals(750, speeds.speed("n"), 1e-9);
        speeds.missed("n", 2000, Duration.ofSeconds(10)); // could not do 2000 in 10 s
        assertEquals(160, speeds.speed("n"), 1e-9);
    }
}
