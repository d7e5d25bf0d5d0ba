package dev.hearth.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.model.TrainingBackend;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.LocalRound;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The trainer's pseudo-gradient mode (the run's mean outer step): local AdamW steps over shares of the round's
/// windows, the DeMo compression of `θ_start − θ_local`, and the inner optimizer's state across rounds and restarts.
class TrainerCoreLocalStepsTest {

    static final ModelConfig NANO = ModelConfig.nano();
    static final DemoConfig DEMO = new DemoConfig(0.999f, 64, 64, ValueEncoding.SIGN_1BIT);

    static WorkerSpec spec(Path state) {
        return new WorkerSpec(NANO, DEMO, "bundled", 4, state, 2, 0.1f, "auto");
    }

    @Test
    void theUpdateIsTheCompressedPseudoGradientOfTwoAdamWSteps(@TempDir Path dir) throws Exception {
        float[] start = GptInit.init(NANO, 3);
        Path paramsFile = dir.resolve("params.bin");
        Checkpoint.ofParams(NANO, "test", 0, start).write(paramsFile);
        long[] ids = LongStream.range(40, 48).toArray();
        List<Integer> progress = new CopyOnWriteArrayList<>();
        TrainResult r;
        try (TrainerCore core = new TrainerCore(spec(dir.resolve("state")))) {
            r = core.train(new TrainJob(1, 0, paramsFile, ids, 1e-3f), (done, total) -> progress.add(done));
        }
        assertEquals(8, progress.getLast(), "progress reaches every window");

        // the same arithmetic by hand: two AdamW steps on windows 40..43 then 44..47, then DeMo on the difference
        ParameterLayout layout = ParameterLayout.gpt(NANO);
        Corpus corpus = Corpus.bundled(dir.resolve("state").resolve("corpus"));
        float[] local = start.clone();
        float[] grad = new float[layout.size()];
        AdamW adam = new AdamW(layout, new AdamW.Settings(0f, LocalRound.INNER_BETA1, LocalRound.INNER_BETA2,
                LocalRound.INNER_EPS, 0.1f));
        try (TrainingBackend backend = BackendSelector.select(NANO).backend()) {
            for (int h = 0; h < 2; h++) {
                backend.lossAndGradient(local, corpus.batch(Arrays.copyOfRange(ids, 4 * h, 4 * h + 4), NANO.context()),
                        grad);
                adam.step(local, grad, 1e-3f);
            }
        }
        float[] delta = new float[layout.size()];
        for (int i = 0; i < delta.length; i++) delta[i] = start[i] - local[i];
        var expected = new DemoCompressor(layout, DEMO).compress(delta);
        var got = UpdateCodec.decode(r.payload(), layout, DEMO);
        int same = 0;
        for (int e = 0; e < expected.entryCount(); e++) {
            if (expected.index(e) == got.index(e)) same++;
        }
        // float sums in another order (micro-batches, thread split) may swap a few near-tied coefficients
        assertTrue(same > 0.99 * expected.entryCount(), same + " of " + expected.entryCount() + " indices agree");
        assertTrue(r.compressionRatio() > 50, "compressed " + r.compressionRatio() + "×");
    }

    @Test
    void theInnerOptimizerStateSurvivesARestart(@TempDir Path dir) throws Exception {
        Path paramsFile = dir.resolve("params.bin");
        Checkpoint.ofParams(NANO, "test", 0, GptInit.init(NANO, 4)).write(paramsFile);
        Path state = dir.resolve("state");
        TrainResult continued;
        try (TrainerCore core = new TrainerCore(spec(state))) {
            core.train(new TrainJob(1, 0, paramsFile, LongStream.range(0, 4).toArray(), 1e-3f), (d, t) -> {});
            Path saved = dir.resolve("after-round-1.bin");
            java.nio.file.Files.copy(state.resolve(TrainerCore.MOMENTUM_FILE), saved);
            continued = core.train(new TrainJob(2, 0, paramsFile, LongStream.range(4, 8).toArray(), 1e-3f), (d, t) -> {});
            java.nio.file.Files.copy(saved, state.resolve(TrainerCore.MOMENTUM_FILE),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        var s = Checkpoint.read(state.resolve(TrainerCore.MOMENTUM_FILE)).state();
        assertEquals(2f, s.get(TrainerCore.INNER_STEPS_STATE)[0], "two inner steps after round 1");
        try (TrainerCore restarted = new TrainerCore(spec(state))) {
            TrainResult again = restarted.train(new TrainJob(2, 0, paramsFile, LongStream.range(4, 8).toArray(), 1e-3f),
                    (d, t) -> {});
            assertEquals(continued.loss(), again.loss(), 1e-6f);
            // the residual travels through parameter space in the file (DCT round trip): equal up to float rounding
            ParameterLayout layout = ParameterLayout.gpt(NANO);
            var a = UpdateCodec.decode(continued.payload(), layout, DEMO);
            var b = UpdateCodec.decode(again.payload(), layout, DEMO);
            int same = 0;
            for (int e = 0; e < a.entryCount(); e++) {
                if (a.index(e) == b.index(e)) {
                    same++;
                    assertEquals(a.value(e), b.value(e), 1e-4f * (1 + Math.abs(a.value(e))), "entry " + e);
                }
            }
            assertTrue(same > 0.99 * a.entryCount(), same + " of " + a.entryCount() + " indices agree");
        }
    }

    @Test
    void impossibleLocalStepCountsAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> new WorkerSpec(NANO, DEMO, "bundled", 4,
                Path.of("x"), 100_000, 0.1f, "auto"));
        assertTrue(e.getMessage().contains("local steps"), e.getMessage());
    }
}
