package dev.hearth.coordinator.run;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LrScheduleTest {

    private final LrSchedule lr = new LrSchedule(1e-3, 1e-4, 10, 110);

    @Test
    void warmsUpLinearlyToThePeak() {
        assertEquals(1e-4 + 0.9e-3 / 10, lr.at(0), 1e-12);
        assertEquals(1e-3, lr.at(9), 1e-12);
        assertTrue(lr.at(3) < lr.at(4));
    }

    @Test
    void decaysByCosineToTheFloor() {
        assertEquals(1e-3, lr.at(10), 1e-12, "peak right after warm-up");
        assertEquals((1e-3 + 1e-4) / 2, lr.at(60), 1e-12, "halfway down at half the decay");
        assertEquals(1e-4, lr.at(110), 1e-12);
        assertEquals(1e-4, lr.at(5000), 1e-12, "stays at the floor past the end");
        for (long v = 10; v < 110; v++) {
            assertTrue(lr.at(v + 1) <= lr.at(v), "monotone decay at " + v);
        }
    }

    @Test
    void noWarmupStartsAtThePeak() {
        assertEquals(1e-3, new LrSchedule(1e-3, 0, 0, 10).at(0), 1e-12);
    }

    @Test
    void rejectsAFloorAboveThePeak() {
        assertThrows(IllegalArgumentException.class, () -> new LrSchedule(1e-4, 1e-3, 0, 10));
    }
}
