package dev.hearth.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/// The duty cycle's arithmetic on a fake clock: CPU time and wall time advance by hand, sleeps advance the wall.
class DutyCycleTest {

    private static final long MS = 1_000_000;

    /// A process whose CPU time and wall time the test moves; sleeping moves only the wall.
    static final class FakeMeter implements DutyCycle.Meter {
        long cpu;
        long wall;
        long slept;

        void work(long cpuNanos, long wallNanos) {
            cpu += cpuNanos;
            wall += wallNanos;
        }

        @Override
        public long cpuNanos() {
            return cpu;
        }

        @Override
        public long wallNanos() {
            return wall;
        }

        @Override
        public void sleepNanos(long nanos) {
            slept += nanos;
            wall += nanos;
        }
    }

    @Test
    void halfOfOneCoreSleepsAsLongAsItWorked() {
        assertEquals(100 * MS, DutyCycle.sleepNanos(100 * MS, 100 * MS, 50, 1));
    }

    @Test
    void sleepIsWhatBringsCpuOverWallBackToTheShare() {
        // 2 threads busy for 300 ms of wall = 600 ms of CPU; 25 % of 2 cores = 0.5 CPU-s per s: 1200 ms of wall needed
        assertEquals(900 * MS, DutyCycle.sleepNanos(600 * MS, 300 * MS, 25, 2));
        // a micro-batch that kept only one of the two threads busy is already under 75 % of 2 cores: no sleep
        assertEquals(0, DutyCycle.sleepNanos(300 * MS, 300 * MS, 75, 2));
    }

    @Test
    void noLimitNeverSleeps() {
        assertEquals(0, DutyCycle.sleepNanos(5_000 * MS, 1_000 * MS, 100, 2)); // the JVM's own threads included
    }

    @Test
    void overARoundCpuTimeOverWallTimeStaysAtThePercentage() {
        FakeMeter m = new FakeMeter();
        DutyCycle duty = new DutyCycle(30, 1, m);
        duty.start();
        long[] microBatchesMs = {250, 80, 400, 120, 60};
        for (long b : microBatchesMs) {
            m.work(b * MS, b * MS);
            duty.afterMicroBatch();
            // after every micro-batch, CPU / wall ≤ 30 % (within a nanosecond of rounding)
            assertEquals(0.30, (double) m.cpu / m.wall, 1e-9);
        }
        assertEquals(m.slept, duty.sleptNanos());
    }

    @Test
    void cpuTimeBeyondTheTrainersThreadsIsSleptForToo() {
        // a GC or JIT thread beside the trainer's one thread: 150 ms of CPU in 100 ms of wall
        FakeMeter m = new FakeMeter();
        DutyCycle duty = new DutyCycle(50, 1, m);
        m.work(150 * MS, 100 * MS);
        duty.afterMicroBatch();
        assertEquals(200 * MS, m.slept);
    }

    @Test
    void eachRoundStartsAFreshWindowSoTheWaitBetweenRoundsEarnsNoCredit() {
        FakeMeter m = new FakeMeter();
        DutyCycle duty = new DutyCycle(50, 1, m);
        m.work(100 * MS, 100 * MS);
        duty.afterMicroBatch();
        m.work(0, 60_000 * MS); // a minute waiting for the next round
        duty.start();
        m.work(100 * MS, 100 * MS);
        duty.afterMicroBatch();
        assertEquals(200 * MS, m.slept, "the second round slept for its own micro-batch too");
    }

    @Test
    void refusesPercentagesOutsideOneToAHundred() {
        var m = new FakeMeter();
        assertEquals("CPU percentage must be in [1, 100], got 0",
                assertThrows(IllegalArgumentException.class, () -> new DutyCycle(0, 1, m)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DutyCycle(101, 1, m));
        assertThrows(IllegalArgumentException.class, () -> new DutyCycle(50, 0, m));
    }
}
