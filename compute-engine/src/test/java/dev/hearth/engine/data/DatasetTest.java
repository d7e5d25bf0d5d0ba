package dev.hearth.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The content-addressed dataset: manifest encoding, the shard store's checks, and a corpus resolved
/// against shards that agrees with the original byte for byte.
class DatasetTest {

    static final int CONTEXT = 32;
    static final int SHARD_TOKENS = 4096;

    @TempDir
    Path tmp;

    private Corpus textCorpus() throws IOException {
        byte[] text = new byte[50_000];
        new Random(3).nextBytes(text);
        Path f = tmp.resolve("t.txt");
        Files.write(f, text);
        return Corpus.fromTextFiles(List.of(f), tmp.resolve("cache"), SHARD_TOKENS);
    }

    @Test
    void manifestRoundTripsAndOnlyItsCanonicalFormParses() throws IOException {
        DatasetManifest m = textCorpus().manifest();
        assertEquals(13, m.shards().size(), "50,001 tokens in shards of 4,096");
        assertEquals(m, DatasetManifest.parse(m.encode()));
        String text = new String(m.encode(), StandardCharsets.UTF_8);
        var padded = assertThrows(CorpusFormatException.class, () -> DatasetManifest.parse(
                text.replaceFirst(" 4096\n", " 04096\n").getBytes(StandardCharsets.UTF_8)));
        assertTrue(padded.getMessage().contains("canonical"), padded.getMessage());
        var truncated = assertThrows(CorpusFormatException.class, () -> DatasetManifest.parse(
                Arrays.copyOf(m.encode(), m.encode().length - 1)));
        assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());
        var foreign = assertThrows(CorpusFormatException.class,
                () -> DatasetManifest.parse("hello\n".getBytes(StandardCharsets.UTF_8)));
        assertTrue(foreign.getMessage().contains("not a Hearth dataset manifest"), foreign.getMessage());
    }

    @Test
    void shardSizeChangesTheManifestButNoBatch() throws IOException {
        Corpus small = textCorpus();
        Corpus large = Corpus.fromTextFiles(List.of(tmp.resolve("t.txt")), tmp.resolve("cache2"));
        assertEquals(small.id(), large.id());
        assertFalse(Arrays.equals(small.manifest().sha256(), large.manifest().sha256()));
        for (long id = 0; id < 50; id++) {
            assertArrayEquals(large.windowBytes(id, CONTEXT), small.windowBytes(id, CONTEXT));
        }
    }

    @Test
    void corpusResolvedFromTheStoreReadsTheSameWindowsAndOnlyTheShardsItNeeds() throws IOException {
        Corpus source = textCorpus();
        DatasetManifest m = source.manifest();
        ShardStore store = new ShardStore(tmp.resolve("store"));
        Corpus resolved = Corpus.fromDataset(m, store);
        long[] ids = {5, 17, 400};
        int[] needed = resolved.shardsOf(ids, CONTEXT);
        assertTrue(needed.length >= 1 && needed.length <= 6, Arrays.toString(needed));
        var missing = assertThrows(UnresolvedShardException.class, () -> resolved.windowBytes(5, CONTEXT));
        assertTrue(missing.getMessage().contains("not on this machine"), missing.getMessage());
        for (int s : needed) {
            store.put(m.shards().get(s), tokensOf(source, s));
        }
        for (long id : ids) {
            assertArrayEquals(source.windowBytes(id, CONTEXT), resolved.windowBytes(id, CONTEXT));
        }
        for (int s = 0; s < m.shards().size(); s++) {
            int shard = s;
            assertEquals(Arrays.stream(needed).anyMatch(x -> x == shard), store.has(m.shards().get(s)));
        }
    }

    @Test
    void storeRefusesBytesThatAreNotTheNamedShardAndRechecksOnOpen() throws IOException {
        Corpus source = textCorpus();
        DatasetManifest.Shard shard = source.manifest().shards().get(2);
        ShardStore store = new ShardStore(tmp.resolve("store"));
        byte[] altered = tokensOf(source, 2);
        altered[10] ^= 1;
        var refused = assertThrows(CorpusFormatException.class, () -> store.put(shard, altered));
        assertTrue(refused.getMessage().contains("do not match the run's manifest"), refused.getMessage());
        assertFalse(store.has(shard), "nothing refused is kept");

        store.put(shard, tokensOf(source, 2));
        byte[] onDisk = Files.readAllBytes(store.path(shard.sha256()));
        onDisk[100] ^= 1;
        Files.write(store.path(shard.sha256()), onDisk);
        var rotted = assertThrows(CorpusFormatException.class, () -> store.open(shard));
        assertTrue(rotted.getMessage().contains("altered on disk"), rotted.getMessage());
    }

    @Test
    void makeRoomEvictsLeastRecentlyUsedShardsButNeverOnesKept() throws IOException {
        Corpus source = textCorpus();
        List<DatasetManifest.Shard> shards = source.manifest().shards();
        ShardStore store = new ShardStore(tmp.resolve("store"));
        for (int s = 0; s < 4; s++) {
            store.put(shards.get(s), tokensOf(source, s));
            Files.setLastModifiedTime(store.path(shards.get(s).sha256()),
                    java.nio.file.attribute.FileTime.fromMillis(1_000_000L * (s + 1)));
        }
        long perShard = 16 + SHARD_TOKENS;
        // room for one more under a cap of 4 shards: the oldest not kept (shard 0 is kept) goes
        assertTrue(store.makeRoom(4 * perShard, perShard, Set.of(shards.get(0).sha256())));
        assertTrue(store.has(shards.get(0)));
        assertFalse(store.has(shards.get(1)), "least recently used");
        assertTrue(store.has(shards.get(2)) && store.has(shards.get(3)));
        assertFalse(store.makeRoom(perShard, 2 * perShard, Set.of()), "two shards never fit under one");
    }

    @Test
    void workerOpensADatasetOnlyWhenTheManifestMatchesItsName() throws IOException {
        Corpus source = textCorpus();
        DatasetManifest m = source.manifest();
        Path datasets = Files.createDirectories(tmp.resolve("datasets"));
        Path file = datasets.resolve(m.sha256Hex() + Corpus.MANIFEST_SUFFIX);
        Files.write(file, m.encode());
        ShardStore store = new ShardStore(datasets.resolve("shards"));
        for (int s = 0; s < m.shards().size(); s++) {
            store.put(m.shards().get(s), tokensOf(source, s));
        }
        Corpus worker = Corpus.forWorker(file.toString(), tmp.resolve("unused"));
        assertArrayEquals(source.windowBytes(9, CONTEXT), worker.windowBytes(9, CONTEXT));
        Files.write(file, new String(m.encode(), StandardCharsets.UTF_8).replace(m.corpusId(), "other-t1")
                .getBytes(StandardCharsets.UTF_8));
        var altered = assertThrows(CorpusFormatException.class, () -> Corpus.forWorker(file.toString(), tmp));
        assertTrue(altered.getMessage().contains("does not match the SHA-256 in its name"), altered.getMessage());
    }

    private static byte[] tokensOf(Corpus c, int shard) throws IOException {
        byte[] file = Files.readAllBytes(c.shardFile(shard));
        return Arrays.copyOfRange(file, TokenShards.HEADER_BYTES, file.length);
    }
}
