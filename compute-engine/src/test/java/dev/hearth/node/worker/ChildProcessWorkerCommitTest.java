package dev.hearth.node.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.RoundAggregation;
import dev.hearth.engine.demo.SignStep;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.recipe.RobustAggregation;
import dev.hearth.engine.recipe.RunRecipe;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// A commit sent to the trainer as a COMMIT frame (issue 15, point 5): the real child JVM applies it with the node's
/// code and reaches the coordinator's SHA-256, so the next round needs no parameters file; a trainer that cannot
/// (it missed a version, the frame is corrupt, the step does not reach the digest) refuses with a reason and reads the
/// file the node then writes.
class ChildProcessWorkerCommitTest {

    static final ModelConfig NANO = ModelConfig.nano();
    static final float LR = 0.01f;
    /// The run the spec of {@link ChildProcessWorkerTest#spec} belongs to: the sign step with some decay, so a
    /// step of zeros still moves every matrix.
    static final RunRecipe RECIPE = new RunRecipe(NANO, 100, 1, 8,
            new DemoConfig(0.999f, 64, 32, ValueEncoding.SIGN_1BIT), new SignStep(0.1), LR, LR, 0,
            RobustAggregation.MEAN, RunRecipe.DataIdentity.NOT_READ);
    static final RunConfig RUN = RECIPE.toWire();
    static final DemoBlocking BLOCKING = RECIPE.blocking(ParameterLayout.gpt(NANO));
    static final OuterRule RULE = RECIPE.outer();

    /// The coordinator's commit of one round made of `update` alone, from `base` to `newVersion`.
    static RoundCommit commit(float[] base, TrainResult update, long newVersion) throws Exception {
        var aggregated = new RoundAggregation(RULE, BLOCKING, RobustMode.NONE).run(RoundAggregation.Input.all(base, LR,
                List.of(UpdateCodec.decode(update.payload(), BLOCKING, ValueEncoding.SIGN_1BIT)),
                new long[] {update.tokens()}), RoundAggregation.SpotCheck.NONE);
        return RULE.putStep(RoundCommit.newBuilder().setRound(newVersion).setNewVersion(newVersion).setLr(LR)
                .setParamsSha256(ByteString.copyFrom(aggregated.sha256())), aggregated.step()).build();
    }

    /// What the node does with a commit on the file path: apply it to its copy, write the file the trainer reads.
    static float[] applyAndWrite(float[] base, RoundCommit c, Path file) throws Exception {
        float[] p = base.clone();
        RULE.applyCommit(BLOCKING, p, c);
        Checkpoint.ofParams(NANO, "test", c.getNewVersion(), p).write(file);
        return Checkpoint.read(file).paramsFor(NANO, file.toString());
    }

    static ChildProcessWorker worker(Path dir) {
        return new ChildProcessWorker(ChildProcessWorkerTest.spec(dir.resolve("state"), null), ChildProcessWorkerTest.JVM,
                s -> {});
    }

    static long[] ids(long from) {
        return LongStream.range(from, from + 8).toArray();
    }

    static TrainResult train(Worker w, long round, long version, Path file) throws Exception {
        return w.train(new TrainJob(round, version, file, ids(round * 8)), (d, t) -> {}).get(3, TimeUnit.MINUTES);
    }

    static CommitOutcome send(Worker w, RoundCommit c) throws Exception {
        return w.applyCommit(RUN, c).get(1, TimeUnit.MINUTES);
    }

    @Test
    void commitFrameGivesTheTrainerBitIdenticalParametersToTheFile(@TempDir Path dir) throws Exception {
        float[] v0 = GptInit.init(NANO, 7);
        Path file0 = dir.resolve("v0.bin");
        Checkpoint.ofParams(NANO, "test", 0, v0).write(file0);
        try (ChildProcessWorker w = worker(dir)) {
            TrainResult r1 = train(w, 1, 0, file0);
            assertEquals(0, w.paramsVersion(), "the trainer holds the version it trained from");
            RoundCommit c1 = commit(v0, r1, 1);
            float[] viaFile = applyAndWrite(v0, c1, dir.resolve("v1.bin"));

            CommitOutcome o = send(w, c1);

            assertTrue(o.applied(), o.reason());
            assertEquals(1, o.version());
            assertArrayEquals(ParamsDigest.sha256(viaFile), o.sha256(), "bit-identical to the file's parameters");
            assertEquals(1, w.paramsVersion());
            // the next round trains from memory: its job's file does not even exist
            Path absent = dir.resolve("never-written.bin");
            TrainResult r2 = train(w, 2, 1, absent);
            assertTrue(r2.payload().length > 0 && Float.isFinite(r2.loss()));
            assertFalse(Files.exists(absent));
        }
    }

    @Test
    void trainerThatMissedAVersionAsksForTheFileAndTrainsFromIt(@TempDir Path dir) throws Exception {
        float[] v0 = GptInit.init(NANO, 7);
        Path file0 = dir.resolve("v0.bin");
        Checkpoint.ofParams(NANO, "test", 0, v0).write(file0);
        try (ChildProcessWorker w = worker(dir)) {
            TrainResult r1 = train(w, 1, 0, file0);
            RoundCommit c1 = commit(v0, r1, 1);
            float[] v1 = v0.clone();
            RULE.applyCommit(BLOCKING, v1, c1);
            RoundCommit c2 = commit(v1, r1, 2); // the node got this one; the trainer never saw c1

            CommitOutcome o = send(w, c2);

            assertFalse(o.applied());
            assertEquals(2, o.version());
            assertTrue(o.reason().contains("holds version 0") && o.reason().contains("missed a version"), o.reason());
            assertEquals(-1, w.paramsVersion(), "the node must write the file");
            Path file2 = dir.resolve("v2.bin");
            applyAndWrite(v1, c2, file2);
            TrainResult r3 = train(w, 3, 2, file2);
            assertTrue(r3.payload().length > 0);
            assertEquals(2, w.paramsVersion());
        }
    }

    @Test
    void corruptCommitFrameIsRefusedWithAReason(@TempDir Path dir) throws Exception {
        float[] v0 = GptInit.init(NANO, 7);
        Path file0 = dir.resolve("v0.bin");
        Checkpoint.ofParams(NANO, "test", 0, v0).write(file0);
        try (ChildProcessWorker w = worker(dir)) {
            TrainResult r1 = train(w, 1, 0, file0);
            RoundCommit c1 = commit(v0, r1, 1);
            byte[] frame = WorkerMain.encodeCommit(RUN, c1);

            CommitOutcome truncated = w.sendCommit(1, Arrays.copyOf(frame, frame.length - 5)).get(1, TimeUnit.MINUTES);
            CommitOutcome garbage = w.sendCommit(1, new byte[] {0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 9, 9})
                    .get(1, TimeUnit.MINUTES);

            assertFalse(truncated.applied());
            assertTrue(truncated.reason().startsWith("corrupt commit frame: truncated"), truncated.reason());
            assertFalse(garbage.applied());
            assertTrue(garbage.reason().startsWith("corrupt commit frame"), garbage.reason());
            assertEquals(-1, w.paramsVersion());

            // a well-formed step that does not reach the commit's digest: refused, and the parameters are dropped
            RoundCommit tampered = RULE.putStep(c1.toBuilder(), new byte[SignStep.packedLength(v0.length)]).build();
            CommitOutcome mismatch = send(w, tampered);
            assertFalse(mismatch.applied());
            assertTrue(mismatch.reason().contains("SHA-256 differs"), mismatch.reason());
            CommitOutcome afterwards = send(w, c1);
            assertFalse(afterwards.applied());
            assertTrue(afterwards.reason().contains("holds no parameters"), afterwards.reason());
            w.stop(Duration.ofSeconds(2));
        }
    }
}
