package dev.hearth.node.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The owner's CPU limit measured from outside: a real trainer child on one core at 50 % trains a round of nano,
/// and the child's CPU time (as the OS counts it) over the round's wall time stays near one half.
@Tag("slow") // ~40 s: per test a child JVM, a warm-up round, then a round that sleeps as it must
class CpuLimitTest {

    /// 16 windows at micro-batch 2: eight micro-batches, so the duty cycle acts eight times in the round.
    static WorkerSpec spec(Path state, int percent) {
        return new WorkerSpec(ModelConfig.nano(), new DemoConfig(0.999f, 64, 32, ValueEncoding.SIGN_1BIT), "bundled", 2,
                state, 0, 0f, "cpu", 1, percent);
    }

    @Test
    void trainerAtHalfOfOneCoreUsesAboutHalfTheWallTimeInCpu(@TempDir Path dir) throws Exception {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        double ratio = measure(dir.resolve("half"), 50);
        // Upper bound: the duty cycle's promise (plus the parts of the round outside the micro-batches: reading
        // the parameters, compressing, saving the residual).
        assertTrue(ratio <= 0.60, "CPU / wall = " + ratio + " (want at most 0.60)");
        // Lower bound: it does not sleep much more than it must. Only meaningful when the trainer can get a
        // core when it wants one: on a machine whose load exceeds its cores, others' work pushes the ratio down.
        System.out.println("load average " + load + " on " + cores + " cores");
        if (load < cores - 0.5) assertTrue(ratio >= 0.35, "CPU / wall = " + ratio + " (want at least 0.35)");
    }

    @Test
    void trainerAtAFifthOfOneCoreSleepsToStayUnderIt(@TempDir Path dir) throws Exception {
        // 20 % is below what even a busy 2-core machine leaves a process, so here the trainer must sleep
        double ratio = measure(dir, 20);
        assertTrue(ratio <= 0.27, "CPU / wall = " + ratio + " (want at most 0.27)");
    }

    /// Child CPU time over wall time for the second round (the first warms the JVM up) at `percent` of one core.
    private static double measure(Path dir, int percent) throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        ChildProcessWorker worker = new ChildProcessWorker(spec(dir.resolve("state"), percent),
                ChildProcessWorkerTest.JVM, log::add);
        Path params = ChildProcessWorkerTest.params(java.nio.file.Files.createDirectories(dir));
        try {
            // warm-up: the JVM's start and the JIT's first compiles are not part of a round
            worker.train(new TrainJob(1, 0, params, LongStream.range(0, 16).toArray()), (d, t) -> {})
                    .get(3, TimeUnit.MINUTES);
            ProcessHandle child = ProcessHandle.of(worker.pid()).orElseThrow();
            Duration cpu0 = child.info().totalCpuDuration().orElseThrow();
            long wall0 = System.nanoTime();
            worker.train(new TrainJob(2, 0, params, LongStream.range(16, 32).toArray()), (d, t) -> {})
                    .get(3, TimeUnit.MINUTES);
            long wall = System.nanoTime() - wall0;
            Duration cpu = child.info().totalCpuDuration().orElseThrow().minus(cpu0);
            double ratio = (double) cpu.toNanos() / wall;
            String slept = log.stream().filter(l -> l.contains("round 2: slept")).findFirst().orElse("");
            System.out.printf("CPU limit %d %% of 1 core: child CPU %d ms over %d ms wall = %.2f (%s)%n", percent,
                    cpu.toMillis(), wall / 1_000_000, ratio, slept);
            assertTrue(slept.contains("to stay under " + percent + " % of 1 core"), "the trainer said so: " + log);
            return ratio;
        } finally {
            worker.stop(Duration.ofSeconds(2));
        }
    }
}
