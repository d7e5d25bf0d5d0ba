package dev.hearth.engine.train;

import java.lang.management.ManagementFactory;

/// Keeps a CPU trainer's CPU time under the owner's share of its cores (BOINC's "use at most N % of CPU time"):
/// after each micro-batch it sleeps until the process's CPU time since the round began is at most
/// `percent / 100 × threads × wall time`.
///
/// The arithmetic: with CPU time `c` and wall time `w` used since {@link #start()}, and the allowed share
/// `s = percent / 100 × threads` (CPU-seconds per wall-second), the trainer is over its share when `c > s·w`, and
/// sleeping `c / s − w` brings it back to exactly `s`. It measures CPU time rather than assuming a micro-batch keeps
/// every thread busy, so whatever else the process spends (GC, the JIT, BLAS) counts too, and a micro-batch that
/// leaves threads idle is not slept for twice. The window restarts each round, so the wait between rounds (the
/// network, the coordinator) earns no credit for a burst later.
///
/// Not thread-safe: one per trainer, called from its training thread.
public final class DutyCycle implements LocalRound.Pace {

    /// What the duty cycle reads and how it waits (the process and real time; a fake one in tests).
    public interface Meter {
        /// CPU time used by this process so far, all threads, ns.
        long cpuNanos();

        /// A monotonic wall clock, ns.
        long wallNanos();

        void sleepNanos(long nanos) throws InterruptedException;
    }

    /// This process's CPU time (the JDK's process CPU counter: every thread, the JVM's own included) and
    /// {@link System#nanoTime()}.
    public static final Meter PROCESS = new Meter() {
        private final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

        @Override
        public long cpuNanos() {
            return os.getProcessCpuTime();
        }

        @Override
        public long wallNanos() {
            return System.nanoTime();
        }

        @Override
        public void sleepNanos(long nanos) throws InterruptedException {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        }
    };

    private final int percent;
    private final int threads;
    private final Meter meter;
    private long cpuStart;
    private long wallStart;
    private long sleptNanos;

    /// @param percent share of the threads' time the trainer may take, 1..100 (100: never sleeps)
    /// @param threads the trainer's CPU threads (the owner's core limit), ≥ 1
    public DutyCycle(int percent, int threads, Meter meter) {
        if (percent < 1 || percent > 100) throw new IllegalArgumentException("CPU percentage must be in [1, 100], got " + percent);
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.percent = percent;
        this.threads = threads;
        this.meter = meter;
        start();
    }

    /// How long to sleep so that `cpuNanos` of CPU time over `wallNanos` of wall time is at most `percent` % of
    /// `threads` cores: `max(0, cpu / share − wall)` ns with `share = percent / 100 × threads`; 0 at 100 % (no limit,
    /// even where the JVM's own threads take the process past `threads` cores).
    public static long sleepNanos(long cpuNanos, long wallNanos, int percent, int threads) {
        if (percent >= 100) return 0;
        // cpu × 100 / (percent × threads), in double: a round's nanoseconds times 100 stays far inside its 53 bits
        double allowedWall = (double) cpuNanos * 100.0 / ((double) percent * threads);
        return Math.max(0, (long) Math.ceil(allowedWall) - wallNanos);
    }

    /// A round begins: CPU and wall time are counted from now.
    @Override
    public void start() {
        if (percent == 100) return; // no limit: nothing to measure
        cpuStart = meter.cpuNanos();
        wallStart = meter.wallNanos();
    }

    /// After a micro-batch: sleeps as long as {@link #sleepNanos} says.
    @Override
    public void afterMicroBatch() {
        if (percent == 100) return;
        long wait = sleepNanos(meter.cpuNanos() - cpuStart, meter.wallNanos() - wallStart, percent, threads);
        if (wait <= 0) return;
        try {
            meter.sleepNanos(wait);
            sleptNanos += wait;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the trainer is being stopped: stop pacing, let it notice
        }
    }

    /// Nanoseconds slept so far (for the log and tests).
    public long sleptNanos() {
        return sleptNanos;
    }

    @Override
    public String toString() {
        return percent + " % of " + threads + (threads == 1 ? " core" : " cores");
    }
}
