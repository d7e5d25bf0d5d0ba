package dev.hearth.node.session;

import com.google.protobuf.ByteString;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.data.CorpusFormatException;
import dev.hearth.engine.data.DatasetManifest;
import dev.hearth.engine.data.ShardStore;
import dev.hearth.node.log.NodeLogger;
import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.wire.DatasetManifestRequest;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.ShardChunk;
import dev.hearth.protocol.wire.ShardChunkRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.function.LongSupplier;

/// The node's copy of the run's training data (issue 17): the dataset manifest named by SHA-256 in the run
/// config, and the shards the assigned batches read, each checked against the manifest before it is stored.
///
/// ```
///  start(sha) ─► manifest on disk? ─no─► DatasetManifestRequest ─► DatasetManifest (SHA-256 must match)
///                     │ yes                                              │
///                     ▼                                                  ▼
///        bundled corpus id? ─yes─► build the bundled shards here, import them (no download)
///                     ▼
///                   READY ─► ensure(round's ids): shards missing? ─► ShardChunkRequest × n ─► ShardChunk × n
///                                                                     └► whole shard's SHA-256 checked → store
/// ```
/// A node never trains a batch it cannot resolve: [#ensure] answers false until every shard the batch reads is
/// in the [ShardStore], and the trainer reads only through the manifest. Whatever makes the data unobtainable
/// (no manifest named, a manifest or shard whose bytes do not match, a cache cap too small) ends in
/// [Events#failed] with a sentence for the owner, and the session leaves the run. Node thread only, except the
/// bundled import, which runs on `dataThread` and posts back.
final class DatasetSync {

    /// Times one shard is fetched before its bytes are taken as wrong at the source (TLS rules out transit).
    static final int MAX_SHARD_ATTEMPTS = 2;
    /// 64 Mi tokens: a manifest listing a bigger shard is refused before any is allocated (the coordinator writes 8 Mi).
    static final long MAX_SHARD_TOKENS = 64L << 20;

    /// What the session hears back (on the node thread).
    interface Events {
        /// The manifest is here and checked: the trainer may start (with [#manifestFile]).
        void ready();

        /// Shards asked for by [#ensure] are all here now.
        void shardsReady();

        /// The data cannot be had; `why` is for the owner.
        void failed(String why);

        /// A download is under way (`fraction` of the missing shards' chunks are here).
        void downloading(double fraction, int shards);
    }

    /// How the session sends: returns false when not connected. `bytes` is what the answer will cost the caps.
    interface Sender {
        boolean send(Envelope request, long expectedResponseBytes);
    }

    private final Path datasetsDir;
    private final Path bundledCacheDir;
    private final LongSupplier capBytes;
    private final Sender sender;
    private final Executor nodeThread;
    private final ExecutorService dataThread;
    private final NodeLogger log;
    private final Events events;
    private final ShardStore store;

    private String expectedSha; // hex; null before start
    private DatasetManifest manifest;
    private Corpus corpus;
    private boolean ready;
    private boolean failed;
    private final Deque<DatasetManifest.Shard> queue = new ArrayDeque<>();
    private final Map<String, ShardDownload> partial = new HashMap<>(); // survives reconnects
    private final Map<String, Integer> attempts = new HashMap<>();
    private ShardDownload current;
    private int queuedTotal;
    private final StorageFetch storage;
    /// Presigned URLs of the shards in object storage (by SHA-256), from the coordinator's latest manifest message.
    private Map<String, String> shardUrls = Map.of();
    /// A shard from storage failed (an HTTP error or bytes that are not the shard): the rest comes from the coordinator.
    private boolean storageRefused;
    private final Set<String> viaStorage = new HashSet<>();

    DatasetSync(Path datasetsDir, Path bundledCacheDir, LongSupplier capBytes, Sender sender, Executor nodeThread,
                ExecutorService dataThread, StorageFetch storage, NodeLogger log, Events events) throws IOException {
        this.storage = storage;
        this.datasetsDir = datasetsDir;
        this.bundledCacheDir = bundledCacheDir;
        this.capBytes = capBytes;
        this.sender = sender;
        this.nodeThread = nodeThread;
        this.dataThread = dataThread;
        this.log = log;
        this.events = events;
        this.store = new ShardStore(datasetsDir.resolve("shards"));
    }

    /// The run's manifest file, as the trainer's `--corpus` (valid once [Events#ready] was heard).
    Path manifestFile() {
        return datasetsDir.resolve(expectedSha + Corpus.MANIFEST_SUFFIX);
    }

    boolean ready() {
        return ready;
    }

    /// The run's data as the node sees it (for which shards a batch reads); null before ready.
    Corpus corpus() {
        return corpus;
    }

    /// A (new) connection's Welcome named this manifest.
    void start(ByteString manifestSha256) {
        queue.clear();
        current = null;
        partial.values().forEach(ShardDownload::resetRequests);
        if (manifestSha256.size() != Fingerprints.SHA256_BYTES) {
            fail("The coordinator does not name its training data (no dataset manifest in its run config; it runs"
                    + " an older Hearth). Not joining: this node could only guess which text the batches mean.");
            return;
        }
        String sha = Fingerprints.hex(manifestSha256.toByteArray());
        if (sha.equals(expectedSha) && ready) {
            // a reconnect to the same run: the data is here; fresh storage URLs (presigned ones expire) are asked for
            sender.send(Envelope.newBuilder().setDatasetManifestRequest(DatasetManifestRequest.getDefaultInstance())
                    .build(), DatasetManifest.MAX_ENCODED_BYTES);
            return;
        }
        expectedSha = sha;
        ready = false;
        failed = false;
        manifest = null;
        storageRefused = false;
        shardUrls = Map.of();
        attempts.clear();
        // Always asked: besides the manifest, the answer may carry where the shards are in object storage.
        sender.send(Envelope.newBuilder().setDatasetManifestRequest(DatasetManifestRequest.getDefaultInstance()).build(),
                DatasetManifest.MAX_ENCODED_BYTES);
        Path file = manifestFile();
        if (Files.isRegularFile(file)) {
            try {
                byte[] bytes = Files.readAllBytes(file);
                if (Fingerprints.sha256Hex(bytes).equals(sha)) {
                    accept(DatasetManifest.parse(bytes));
                    return;
                }
                log.warn("local copy of the run's dataset manifest is altered; fetching it again");
            } catch (IOException e) {
                log.warn("local copy of the run's dataset manifest is unusable (" + e.getMessage() + "); fetching it again");
            }
        }
    }

    void onManifest(dev.hearth.protocol.wire.DatasetManifest m) {
        if (expectedSha == null || failed) return;
        byte[] bytes = m.getManifest().toByteArray();
        String actual = Fingerprints.sha256Hex(bytes);
        if (manifest != null && actual.equals(expectedSha)) { // known already (from disk): take the storage URLs
            learnUrls(m);
            return;
        }
        if (!actual.equals(expectedSha)) {
            fail("The coordinator sent a dataset manifest whose SHA-256 (" + actual.substring(0, 16) + "…) is not the one"
                    + " its run config names (" + expectedSha.substring(0, 16) + "…). Not joining: the run's data cannot be"
                    + " verified.");
            return;
        }
        DatasetManifest parsed;
        try {
            parsed = DatasetManifest.parse(bytes);
            Files.createDirectories(datasetsDir);
            Path tmp = Files.createTempFile(datasetsDir, expectedSha, ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, manifestFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (CorpusFormatException e) {
            fail("The run's dataset manifest is unusable: " + e.getMessage() + ". Not joining.");
            return;
        } catch (IOException e) {
            fail("Could not save the run's dataset manifest in " + datasetsDir + ": " + e.getMessage());
            return;
        }
        accept(parsed);
        learnUrls(m);
    }

    private void learnUrls(dev.hearth.protocol.wire.DatasetManifest m) {
        if (manifest == null || m.getShardUrlCount() != manifest.shards().size()) return; // none, or not one per shard
        Map<String, String> urls = new HashMap<>();
        for (int i = 0; i < m.getShardUrlCount(); i++) {
            urls.put(manifest.shards().get(i).sha256(), m.getShardUrl(i));
        }
        shardUrls = urls;
        log.info("the run's shards are in object storage; fetching them there");
    }

    private void accept(DatasetManifest m) {
        for (DatasetManifest.Shard s : m.shards()) {
            if (s.tokens() > MAX_SHARD_TOKENS) {
                fail("The run's dataset lists a shard of " + s.tokens() + " tokens; this node accepts shards of up to "
                        + MAX_SHARD_TOKENS + ". Not joining.");
                return;
            }
        }
        manifest = m;
        corpus = Corpus.fromDataset(m, store);
        log.info("run's data: dataset " + m.corpusId() + " (" + m.shards().size() + " shards, " + m.tokens()
                + " tokens, manifest " + expectedSha.substring(0, 16) + "…)");
        if (m.corpusId().equals(Corpus.BUNDLED_CORPUS_ID) && !m.shards().stream().allMatch(store::has)) {
            importBundled(m, expectedSha);
            return;
        }
        ready = true;
        events.ready();
    }

    /// The bundled corpus is already on this machine: build its shards from the bundled text (off the node thread)
    /// and take those whose SHA-256 the manifest lists, instead of downloading them.
    private void importBundled(DatasetManifest m, String sha) {
        log.info("the run trains the bundled corpus: building its shards here instead of downloading them");
        dataThread.execute(() -> {
            String problem = null;
            try {
                Corpus bundled = Corpus.bundled(bundledCacheDir);
                var local = bundled.manifest().shards();
                for (int i = 0; i < local.size(); i++) {
                    if (m.shards().contains(local.get(i))) store.importFile(local.get(i), bundled.shardFile(i));
                }
            } catch (IOException | RuntimeException e) {
                problem = e.getMessage();
            }
            String p = problem;
            nodeThread.execute(() -> {
                if (!sha.equals(expectedSha) || failed) return;
                if (p != null) log.warn("bundled corpus not usable here (" + p + "); downloading the run's shards");
                ready = true;
                events.ready();
            });
        });
    }

    /// Whether every shard the windows of `ids` read is here; if not, fetches the missing ones (then
    /// [Events#shardsReady]) and answers false. Fails the session when this round's data exceeds the cache cap.
    boolean ensure(long[] ids, int context) {
        if (!ready || failed) return false;
        int[] needed;
        try {
            needed = corpus.shardsOf(ids, context);
        } catch (RuntimeException e) {
            fail("The round's batches cannot be resolved against the run's dataset: " + e.getMessage());
            return false;
        }
        Set<String> keep = new HashSet<>();
        long neededBytes = 0;
        long missingBytes = 0;
        Deque<DatasetManifest.Shard> missing = new ArrayDeque<>();
        for (int s : needed) {
            DatasetManifest.Shard shard = manifest.shards().get(s);
            keep.add(shard.sha256());
            neededBytes += shard.tokens();
            if (store.has(shard)) {
                store.touch(shard.sha256());
            } else {
                missing.add(shard);
                missingBytes += shard.tokens();
            }
        }
        if (missing.isEmpty()) return true;
        long cap = capBytes.getAsLong();
        try {
            if (neededBytes > cap || !store.makeRoom(cap, missingBytes, keep)) {
                fail("This round's batches read " + RunSession.humanBytes(neededBytes) + " of the run's data, more than"
                        + " the data cache may hold (" + RunSession.humanBytes(cap) + "). Raise the data cache cap in the"
                        + " settings to contribute to this run.");
                return false;
            }
        } catch (IOException e) {
            fail("The data cache in " + store.dir() + " cannot be used: " + e.getMessage());
            return false;
        }
        if (current == null && queue.isEmpty()) {
            queue.addAll(missing);
            queuedTotal = missing.size();
            log.info("fetching " + missing.size() + " shard(s) of the run's data (" + RunSession.humanBytes(missingBytes)
                    + ")");
            next();
        }
        return false;
    }

    private void next() {
        if (current == null) {
            DatasetManifest.Shard s = queue.poll();
            if (s == null) {
                events.shardsReady();
                return;
            }
            if (store.has(s)) {
                next();
                return;
            }
            current = partial.computeIfAbsent(s.sha256(), k -> new ShardDownload(s));
        }
        String url = storageRefused ? null : shardUrls.get(current.shard().sha256());
        for (int i : current.nextRequests()) {
            if (url != null) {
                fromStorage(current, url, i);
            } else {
                requestFromCoordinator(current, i);
            }
        }
        int done = queuedTotal - queue.size() - 1;
        events.downloading((done + current.progress()) / Math.max(1, queuedTotal), queuedTotal);
    }

    private void requestFromCoordinator(ShardDownload d, int index) {
        ByteString sha = ByteString.copyFrom(Fingerprints.fromHex(d.shard().sha256()));
        sender.send(Envelope.newBuilder().setShardChunkRequest(ShardChunkRequest.newBuilder()
                .setShardSha256(sha).setIndex(index)).build(), ShardDownload.CHUNK_BYTES);
    }

    /// One chunk by an HTTP Range request on the shard's presigned URL; a failure sends this chunk, and the rest of
    /// the run's data, to the coordinator instead.
    private void fromStorage(ShardDownload d, String url, int index) {
        viaStorage.add(d.shard().sha256());
        long from = (long) index * ShardDownload.CHUNK_BYTES;
        int length = (int) Math.min(ShardDownload.CHUNK_BYTES, d.shard().tokens() - from);
        storage.range(url, from, length, d.shard().tokens()).whenComplete((data, error) -> nodeThread.execute(() -> {
            if (current != d || failed) return;
            if (error != null) {
                Throwable why = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                storageRefused = true;
                log.warn("shard " + d.shard().sha256().substring(0, 16) + "… from storage: " + why.getMessage()
                        + "; fetching the run's data from the coordinator instead");
                requestFromCoordinator(d, index);
                return;
            }
            onChunk(ShardChunk.newBuilder().setShardSha256(ByteString.copyFrom(Fingerprints.fromHex(d.shard().sha256())))
                    .setIndex(index).setData(ByteString.copyFrom(data)).build());
        }));
    }

    void onChunk(ShardChunk c) {
        ShardDownload d = current;
        if (d == null || failed || !Arrays.equals(c.getShardSha256().toByteArray(), Fingerprints.fromHex(d.shard().sha256()))) {
            return; // stale: a shard we stopped fetching
        }
        if (!c.getError().isEmpty()) {
            fail("The coordinator cannot serve the run's data: " + c.getError());
            return;
        }
        try {
            d.accept(c);
        } catch (IOException e) {
            log.warn(e.getMessage() + "; asking again");
        }
        if (!d.complete()) {
            next();
            return;
        }
        current = null;
        partial.remove(d.shard().sha256());
        try {
            store.put(d.shard(), d.tokens());
            viaStorage.remove(d.shard().sha256());
            log.info("shard " + d.shard().sha256().substring(0, 16) + "… stored and verified ("
                    + RunSession.humanBytes(d.shard().tokens()) + ")");
        } catch (CorpusFormatException e) {
            if (viaStorage.remove(d.shard().sha256())) {
                storageRefused = true; // the bucket holds other bytes than the manifest says: the coordinator's next
            }
            int n = attempts.merge(d.shard().sha256(), 1, Integer::sum);
            log.warn(e.getMessage() + (n < MAX_SHARD_ATTEMPTS ? "; fetching it again" : ""));
            if (n >= MAX_SHARD_ATTEMPTS) {
                fail("The run's data could not be verified: " + e.getMessage() + " (" + n + " attempts). Not training"
                        + " on it; this node leaves the run.");
                return;
            }
            queue.addFirst(d.shard());
        } catch (IOException e) {
            fail("Could not store the run's data in " + store.dir() + ": " + e.getMessage());
            return;
        }
        next();
    }

    /// The connection dropped: nothing is in flight (received chunks are kept).
    void disconnected() {
        partial.values().forEach(ShardDownload::resetRequests);
        queue.clear(); // the next round's ensure() asks again, for what it needs then
        current = null;
    }

    private void fail(String why) {
        failed = true;
        ready = false;
        queue.clear();
        current = null;
        log.warn(why);
        events.failed(why);
    }
}
