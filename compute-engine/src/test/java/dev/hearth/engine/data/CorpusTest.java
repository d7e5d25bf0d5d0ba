package dev.hearth.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {

    private static final int CONTEXT = 16;

    @TempDir
    Path tmp;

    private Path textFile(String name, int bytes, long seed) throws IOException {
        byte[] b = new byte[bytes];
        new Random(seed).nextBytes(b);
        Path f = tmp.resolve(name);
        Files.write(f, b);
        return f;
    }

    @Test
    void sameIdGivesSameBytesOnTwoMachines() throws IOException {
        Path f = textFile("a.txt", 50_000, 1);
        Corpus one = Corpus.fromTextFiles(List.of(f), tmp.resolve("cacheA"));
        Corpus two = Corpus.fromTextFiles(List.of(f), tmp.resolve("cacheB"));
        Corpus reopened = Corpus.fromTextFiles(List.of(f), tmp.resolve("cacheA"));
        assertEquals(one.id(), two.id());
        for (long id : new long[] {0, 1, 12345 % one.trainWindows(CONTEXT), one.trainWindows(CONTEXT) - 1}) {
            assertArrayEquals(one.windowBytes(id, CONTEXT), two.windowBytes(id, CONTEXT));
            assertArrayEquals(one.windowBytes(id, CONTEXT), reopened.windowBytes(id, CONTEXT));
        }
        assertArrayEquals(one.batch(new long[] {3, 4}, CONTEXT).inputs(), two.batch(new long[] {3, 4}, CONTEXT).inputs());
    }

    @Test
    void differentContentHasDifferentId() throws IOException {
        Corpus a = Corpus.fromTextFiles(List.of(textFile("a.txt", 5_000, 1)), tmp);
        Corpus b = Corpus.fromTextFiles(List.of(textFile("b.txt", 5_000, 2)), tmp);
        assertNotEquals(a.id(), b.id());
        assertTrue(a.id().endsWith("-t" + TokenShards.FORMAT_VERSION));
    }

    @Test
    void trainIdsCoverEveryWindowOnceAndNeverReachValidation() throws IOException {
        Corpus c = Corpus.fromTextFiles(List.of(textFile("a.txt", 40_000, 3)), tmp);
        long n = c.trainWindows(CONTEXT);
        assertTrue(n > 2000);
        Set<Long> starts = new HashSet<>();
        for (long id = 0; id < n; id++) {
            long s = c.windowStart(id, CONTEXT);
            assertEquals(0, s % CONTEXT);
            assertTrue(s + CONTEXT + 1 <= c.validationStart(), "window " + id + " reaches held-out data");
            starts.add(s);
        }
        assertEquals(n, starts.size(), "the permutation is a bijection over the training windows");
        assertEquals(c.windowStart(5, CONTEXT), c.windowStart(5 + n, CONTEXT), "ids wrap around per epoch");
        assertTrue(c.validationWindows(CONTEXT) >= 1);
        assertTrue(c.windowStart(0, CONTEXT) != 0 || c.windowStart(1, CONTEXT) != CONTEXT, "ids are shuffled");
    }

    @Test
    void validationBatchReadsHeldOutTokens() throws IOException {
        Path f = textFile("a.txt", 40_000, 4);
        byte[] all = Files.readAllBytes(f);
        Corpus c = Corpus.fromTextFiles(List.of(f), tmp);
        Batch v = c.validationBatch(0, 2, CONTEXT);
        int start = (int) c.validationStart();
        for (int t = 0; t < CONTEXT; t++) {
            assertEquals(all[start + t] & 0xFF, v.inputs()[t]);
            assertEquals(all[start + t + 1] & 0xFF, v.targets()[t]);
            assertEquals(all[start + CONTEXT + t] & 0xFF, v.inputs()[CONTEXT + t]);
        }
    }

    @Test
    void shippedBytesRebuildTheSameBatch() throws IOException {
        Corpus c = Corpus.fromTextFiles(List.of(textFile("a.txt", 20_000, 5)), tmp);
        long[] ids = {7, 99, 3};
        Batch direct = c.batch(ids, CONTEXT);
        Batch shipped = Corpus.fromBytes(c.batchBytes(ids, CONTEXT), CONTEXT);
        assertArrayEquals(direct.inputs(), shipped.inputs());
        assertArrayEquals(direct.targets(), shipped.targets());
        byte[] w = c.windowBytes(99, CONTEXT);
        assertEquals(w[1] & 0xFF, direct.targets()[CONTEXT]);
        assertThrows(IllegalArgumentException.class, () -> Corpus.fromBytes(new byte[CONTEXT], CONTEXT));
    }

    @Test
    void corruptedShardFailsSayingToDeleteTheCache() throws IOException {
        Path f = textFile("a.txt", 20_000, 6);
        Corpus c = Corpus.fromTextFiles(List.of(f), tmp.resolve("cache"));
        Path dir = tmp.resolve("cache").resolve("text-" + c.id());
        Path shard = dir.resolve(TokenShards.shardName(0));
        byte[] b = Files.readAllBytes(shard);
        b[100] ^= 1;
        Files.write(shard, b);
        var e = assertThrows(CorpusFormatException.class, () -> Corpus.fromTextFiles(List.of(f), tmp.resolve("cache")));
        assertTrue(e.getMessage().contains("SHA-256") && e.getMessage().contains("delete the cache directory"),
                e.getMessage());
    }

    @Test
    void truncatedOrForeignShardFailsClearly() throws IOException {
        Path f = textFile("a.txt", 20_000, 7);
        Corpus c = Corpus.fromTextFiles(List.of(f), tmp.resolve("cache"));
        Path dir = tmp.resolve("cache").resolve("text-" + c.id());
        Path shard = dir.resolve(TokenShards.shardName(0));
        byte[] b = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(b, b.length - 10));
        var truncated = assertThrows(CorpusFormatException.class, () -> Corpus.openCache(dir));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
        b[0] = 'X';
        Files.write(shard, b);
        var foreign = assertThrows(CorpusFormatException.class, () -> Corpus.openCache(dir));
        assertTrue(foreign.getMessage().contains("magic"), foreign.getMessage());
    }

    @Test
    void bundledEuroparlKeepsOnlyTheSpeechText() throws IOException {
        Corpus c = Corpus.bundled(tmp);
        assertTrue(c.tokens() > 15_000_000, "tokens " + c.tokens());
        byte[] w = c.windowBytes(0, 256);
        for (byte x : w) {
            assertFalse(x == '\t', "field separators are dropped");
        }
        assertEquals(c.id(), Corpus.bundled(tmp).id(), "reopening from the cache gives the same corpus");
        assertEquals(Corpus.BUNDLED_CORPUS_ID, c.id(), "nodes recognise bundled runs by this id");
    }
}
