package dev.hearth.node.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.data.DatasetManifest;
import dev.hearth.node.log.EventLog;
import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.ShardChunk;
import dev.hearth.protocol.wire.ShardChunkRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The node's side of the run's data, driven message by message on one thread: the coordinator's side is played by
/// the run's real token cache (what `ServedDataset` reads), so every byte the node receives is a real shard's —
/// or, where a test says so, one altered on the way.
class DatasetSyncTest {

    static final int CONTEXT = 32;
    static final int SHARD_TOKENS = 4096;

    @TempDir
    Path tmp;
    private final Deque<Envelope> sent = new ArrayDeque<>();
    private final List<String> events = new ArrayList<>();
    private final ExecutorService dataThread = Executors.newSingleThreadExecutor();
    private final StorageFetch storage = new StorageFetch();
    private Corpus source;
    private long cap = 1L << 30;

    @AfterEach
    void stop() {
        dataThread.shutdownNow();
        storage.close();
    }

    private DatasetSync sync() throws IOException {
        byte[] text = new byte[40_000];
        new Random(4).nextBytes(text);
        Files.write(tmp.resolve("t.txt"), text);
        source = Corpus.fromTextFiles(List.of(tmp.resolve("t.txt")), tmp.resolve("coordinator"), SHARD_TOKENS);
        return new DatasetSync(tmp.resolve("node/datasets"), tmp.resolve("node/corpus"), () -> cap,
                (request, bytes) -> sent.add(request), Runnable::run, dataThread, storage,
                new EventLog(java.time.Clock.systemUTC()).logger("data"), new DatasetSync.Events() {
                    @Override public void ready() { events.add("ready"); }
                    @Override public void shardsReady() { events.add("shardsReady"); }
                    @Override public void failed(String why) { events.add("failed: " + why); }
                    @Override public void downloading(double fraction, int shards) { }
                });
    }

    private void welcome(DatasetSync s) {
        DatasetManifest m = source.manifest();
        s.start(ByteString.copyFrom(m.sha256()));
        assertTrue(sent.removeFirst().hasDatasetManifestRequest());
        s.onManifest(dev.hearth.protocol.wire.DatasetManifest.newBuilder().setManifest(ByteString.copyFrom(m.encode()))
                .build());
    }

    /// Answers every pending shard request from the coordinator's cache; `alter` flips a byte of each answer.
    private int serve(DatasetSync s, boolean alter) throws IOException {
        int served = 0;
        while (!sent.isEmpty()) {
            ShardChunkRequest r = sent.removeFirst().getShardChunkRequest();
            String sha = Fingerprints.hex(r.getShardSha256().toByteArray());
            int index = source.manifest().shards().stream().map(DatasetManifest.Shard::sha256).toList().indexOf(sha);
            byte[] file = Files.readAllBytes(source.shardFile(index));
            byte[] tokens = Arrays.copyOfRange(file, 16, file.length);
            if (alter) tokens[7] ^= 1;
            s.onChunk(ShardChunk.newBuilder().setShardSha256(r.getShardSha256()).setIndex(r.getIndex())
                    .setData(ByteString.copyFrom(tokens)).build());
            served++;
        }
        return served;
    }

    @Test
    void fetchesOnlyTheShardsABatchReadsAndThenResolvesItToTheCoordinatorsBytes() throws IOException {
        DatasetSync s = sync();
        welcome(s);
        assertEquals(List.of("ready"), events);
        long[] ids = {3, 99};
        int needed = source.shardsOf(ids, CONTEXT).length;
        assertFalse(s.ensure(ids, CONTEXT), "not before the shards are here");
        assertEquals(needed, serve(s, false), "one request per shard the batches read (one chunk each)");
        assertEquals(List.of("ready", "shardsReady"), events);
        assertTrue(s.ensure(ids, CONTEXT));
        assertTrue(sent.isEmpty(), "nothing more is fetched for the same batches");
        Corpus trainer = Corpus.forWorker(s.manifestFile().toString(), tmp.resolve("unused"));
        for (long id : ids) {
            assertArrayEquals(source.windowBytes(id, CONTEXT), trainer.windowBytes(id, CONTEXT));
        }
        try (var files = Files.list(tmp.resolve("node/datasets/shards"))) {
            assertEquals(needed, files.count(), "the node holds only the shards it needed");
        }
    }

    @Test
    void aShardAlteredOnTheWayIsRefusedTwiceAndTheNodeGivesUpSayingWhy() throws IOException {
        DatasetSync s = sync();
        welcome(s);
        assertFalse(s.ensure(new long[] {5}, CONTEXT));
        serve(s, true); // first attempt: refused, asked again
        serve(s, true); // second attempt: refused, the data cannot be had
        String last = events.getLast();
        assertTrue(last.startsWith("failed: The run's data could not be verified"), last);
        assertTrue(last.contains("do not match the run's manifest") && last.contains("Not training on it"), last);
        assertFalse(s.ensure(new long[] {5}, CONTEXT), "a failed dataset resolves nothing");
    }

    @Test
    void aRoundNeedingMoreThanTheCacheCapIsRefusedInWords() throws IOException {
        DatasetSync s = sync();
        welcome(s);
        cap = SHARD_TOKENS + 16; // one shard's file
        long[] ids = new long[64];
        for (int i = 0; i < ids.length; i++) ids[i] = i * 17L; // windows spread over several shards
        assertTrue(source.shardsOf(ids, CONTEXT).length > 1);
        assertFalse(s.ensure(ids, CONTEXT));
        assertTrue(events.getLast().contains("more than the data cache may hold")
                && events.getLast().contains("Raise the data cache cap"), events.getLast());
        assertTrue(sent.isEmpty(), "nothing is fetched that could not be kept");
    }

    @Test
    void aCoordinatorThatNamesNoDatasetIsNotJoined() throws IOException {
        DatasetSync s = sync();
        s.start(ByteString.EMPTY);
        assertTrue(events.getLast().startsWith("failed: The coordinator does not name its training data"), events.getLast());
    }

    @Test
    void aManifestWhoseHashIsNotTheRunConfigsIsRefused() throws IOException {
        DatasetSync s = sync();
        s.start(ByteString.copyFrom(source.manifest().sha256()));
        byte[] other = new String(source.manifest().encode(), java.nio.charset.StandardCharsets.UTF_8)
                .replace(source.id(), "other-t1").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        s.onManifest(dev.hearth.protocol.wire.DatasetManifest.newBuilder().setManifest(ByteString.copyFrom(other)).build());
        assertTrue(events.getLast().contains("is not the one its run config names"), events.getLast());
    }
}
