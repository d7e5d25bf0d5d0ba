package dev.hearth.node.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The trainer as a real child JVM: pausing frees it within 2 s, and a kill -9 mid-round loses nothing
/// of the DeMo residual (issue 5).
class ChildProcessWorkerTest {

    static final List<String> JVM = List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "-Xss4m");
    static final ModelConfig NANO = ModelConfig.nano();

    static WorkerSpec spec(Path state, Path corpusCache) {
        return new WorkerSpec(NANO, new DemoConfig(0.999f, 64, 32, ValueEncoding.SIGN_1BIT), "bundled", 8, state);
    }

    static Path params(Path dir) throws Exception {
        Path f = dir.resolve("params.bin");
        Checkpoint.ofParams(NANO, "test", 0, GptInit.init(NANO, 7)).write(f);
        return f;
    }

    static long[] ids(long from) {
        return LongStream.range(from, from + 8).toArray();
    }

    @Test
    void pauseFreesTheTrainerProcessWithinTwoSeconds(@TempDir Path dir) throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        ChildProcessWorker worker = new ChildProcessWorker(spec(dir.resolve("state"), null), JVM, log::add);
        TrainResult r = worker.train(new TrainJob(1, 0, params(dir), ids(0)), (d, t) -> {}).get(3, TimeUnit.MINUTES);
        assertTrue(r.payload().length > 0 && r.compressionRatio() > 50, "a compressed update came back");
        long pid = worker.pid();
        assertTrue(pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

        long t0 = System.nanoTime();
        worker.stop(Duration.ofMillis(1500));
        long millis = (System.nanoTime() - t0) / 1_000_000;

        assertTrue(millis < 2000, "stopped in " + millis + " ms");
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the trainer process is gone");
        assertFalse(worker.running());
        assertTrue(Files.exists(dir.resolve("state").resolve(TrainerCore.MOMENTUM_FILE)), "the residual was saved");
    }

    @Test
    void trainerKilledMidRoundRestartsWithTheResidualOfTheLastRound(@TempDir Path dir) throws Exception {
        Path paramsFile = params(dir);
        Path state = dir.resolve("state");
        ChildProcessWorker worker = new ChildProcessWorker(spec(state, null), JVM, s -> {});
        worker.train(new TrainJob(1, 0, paramsFile, ids(0)), (d, t) -> {}).get(3, TimeUnit.MINUTES);
        Path momentumFile = state.resolve(TrainerCore.MOMENTUM_FILE);
        int n = ParameterLayout.gpt(NANO).size();
        float[] afterRound1 = TrainerCore.readMomentum(momentumFile, n);

        // Round 2 with many windows so that it is still running when we kill it.
        var round2 = worker.train(new TrainJob(2, 0, paramsFile, LongStream.range(100, 164).toArray()), (d, t) -> {});
        long pid = worker.pid();
        Thread.sleep(300);
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // kill -9
        ExecutionException died = assertThrows(ExecutionException.class, () -> round2.get(1, TimeUnit.MINUTES));
        assertTrue(died.getCause().getMessage().contains("exit code"), died.getCause().getMessage());
        assertArrayEquals(afterRound1, TrainerCore.readMomentum(momentumFile, n), "residual of round 1 intact");

        // The next job starts a new trainer (after the crash backoff) from that residual: it produces exactly
        // what a trainer that was never killed produces from the same state.
        TrainResult retried = worker.train(new TrainJob(3, 0, paramsFile, ids(200)), (d, t) -> {}).get(3, TimeUnit.MINUTES);
        worker.stop(Duration.ofSeconds(2));

        Path twin = dir.resolve("twin");
        Files.createDirectories(twin);
        new Checkpoint(new Checkpoint.Metadata("nano", ParameterLayout.FORMAT_VERSION, "trainer", 1), new float[0],
                java.util.Map.of(TrainerCore.MOMENTUM_STATE, afterRound1)).write(twin.resolve(TrainerCore.MOMENTUM_FILE));
        try (TrainerCore reference = new TrainerCore(spec(twin, null))) {
            TrainResult expected = reference.train(new TrainJob(3, 0, paramsFile, ids(200)), (d, t) -> {});
            assertEquals(expected.loss(), retried.loss(), 1e-5f);
            assertArrayEquals(TrainerCore.readMomentum(twin.resolve(TrainerCore.MOMENTUM_FILE), n),
                    TrainerCore.readMomentum(momentumFile, n), 1e-5f, "same residual after the retried round");
        }
    }
}
