package dev.hearth.coordinator.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class CheckpointStoreTest {

    @TempDir
    Path dir;

    private static float[] params(int n, long seed) {
        var rnd = new SplittableRandom(seed);
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) rnd.nextGaussian();
        }
        return p;
    }

    @Test
    void roundTripsParamsAndNamedArraysExactly() {
        var store = new CheckpointStore(dir.resolve("ckpt"));
        float[] p = params(100_003, 1);
        p[5] = Float.NaN; // stored bit-exactly, even values the validator would refuse
        var cp = new Checkpoint("run-1", 12, 10, p, Map.of("momentum", params(17, 2), "ema", new float[0]));
        store.write(cp);
        Checkpoint back = store.load(10);
        assertEquals("run-1", back.runId());
        assertEquals(12, back.round());
        assertEquals(10, back.version());
        assertArrayEquals(p, back.params());
        assertArrayEquals(cp.arrays().get("momentum"), back.arrays().get("momentum"));
        assertEquals(0, back.arrays().get("ema").length);
        assertFalse(Files.exists(dir.resolve("ckpt").resolve(store.fileOf(10).getFileName() + ".tmp")), "no temp file left");
    }

    @Test
    void manifestHashesEachChunkAndTheWholeAndChunksReassemble() throws Exception {
        var store = new CheckpointStore(dir, 4096, 2);
        CheckpointManifest m = store.write(new Checkpoint("run-1", 3, 3, params(10_000, 3)));
        byte[] file = Files.readAllBytes(store.fileOf(3));
        assertEquals(file.length, m.totalBytes());
        assertEquals((file.length + 4095) / 4096, m.chunks());
        var whole = new ByteArrayOutputStream();
        for (int i = 0; i < m.chunks(); i++) {
            byte[] chunk = store.readChunk(3, i);
            assertEquals(m.chunkSha256().get(i), sha(chunk), "chunk " + i);
            whole.write(chunk);
        }
        assertArrayEquals(file, whole.toByteArray());
        assertEquals(sha(file), m.sha256());
        assertEquals(m, store.manifest().orElseThrow());
        var e = assertThrows(IllegalArgumentException.class, () -> store.readChunk(3, m.chunks()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void keepsOnlyTheNewestAndFallsBackOverACorruptOne() throws Exception {
        var store = new CheckpointStore(dir, 1 << 20, 2);
        for (int v = 1; v <= 3; v++) {
            store.write(new Checkpoint("run-1", v, v, params(1000, v)));
        }
        assertEquals(List.of(3L, 2L), store.versions());
        // Flip one byte in the middle of the newest file.
        byte[] bytes = Files.readAllBytes(store.fileOf(3));
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(store.fileOf(3), bytes);

        var e = assertThrows(CheckpointException.class, () -> store.load(3));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
        var recovery = store.loadLatest("run-1").orElseThrow();
        assertEquals(2, recovery.checkpoint().version());
        assertArrayEquals(params(1000, 2), recovery.checkpoint().params());
        assertEquals(1, recovery.skipped().size());
        assertTrue(recovery.skipped().getFirst().contains("checkpoint-000000000003"), recovery.skipped().getFirst());
    }

    @Test
    void aRestartResumesFromTheLastHealthyVersionOverANonFiniteOne() {
        var store = new CheckpointStore(dir, 1 << 20, 3);
        store.write(new Checkpoint("run-1", 1, 1, params(1000, 1)));
        float[] sick = params(1000, 2);
        sick[123] = Float.POSITIVE_INFINITY; // stored as written (the store keeps bytes), but never resumed from
        store.write(new Checkpoint("run-1", 2, 2, sick));
        var recovery = store.loadLatest("run-1").orElseThrow();
        assertEquals(1, recovery.checkpoint().version());
        assertTrue(recovery.skipped().getFirst().contains("holds parameter 123 = Infinity: not a healthy version"),
                recovery.skipped().getFirst());
    }

    @Test
    void aTruncatedFileFailsWithAClearMessage() throws Exception {
        var store = new CheckpointStore(dir);
        store.write(new Checkpoint("run-1", 1, 1, params(1000, 1)));
        byte[] bytes = Files.readAllBytes(store.fileOf(1));
        Files.write(store.fileOf(1), java.util.Arrays.copyOf(bytes, bytes.length - 100));
        var e = assertThrows(CheckpointException.class, () -> store.load(1));
        assertTrue(e.getMessage().contains("is truncated"), e.getMessage());
        Files.write(store.fileOf(1), java.util.Arrays.copyOf(bytes, 10));
        var header = assertThrows(CheckpointException.class, () -> store.load(1));
        assertTrue(header.getMessage().contains("truncated"), header.getMessage());
        var all = assertThrows(CheckpointException.class, () -> store.loadLatest("run-1"));
        assertTrue(all.getMessage().contains("no valid checkpoint"), all.getMessage());
    }

    @Test
    void refusesOtherFilesAndOtherRuns() throws Exception {
        var store = new CheckpointStore(dir);
        Files.writeString(store.fileOf(4), "hello, this is not a checkpoint at all");
        var e = assertThrows(CheckpointException.class, () -> store.load(4));
        assertTrue(e.getMessage().contains("bad magic"), e.getMessage());
        Files.delete(store.fileOf(4));
        store.write(new Checkpoint("run-1", 1, 1, params(10, 1)));
        var other = assertThrows(CheckpointException.class, () -> store.loadLatest("run-2"));
        assertTrue(other.getMessage().contains("belongs to run 'run-1'"), other.getMessage());
    }

    @Test
    void anEmptyStoreHasNothingToLoad() {
        var store = new CheckpointStore(dir);
        assertTrue(store.loadLatest("run-1").isEmpty());
        assertTrue(store.manifest().isEmpty());
    }

    @Test
    void checkpointsAreDueEveryKVersions() {
        assertFalse(CheckpointStore.isDue(0, 5));
        assertFalse(CheckpointStore.isDue(4, 5));
        assertTrue(CheckpointStore.isDue(5, 5));
        assertTrue(CheckpointStore.isDue(10, 5));
        assertTrue(CheckpointStore.isDue(1, 1));
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
