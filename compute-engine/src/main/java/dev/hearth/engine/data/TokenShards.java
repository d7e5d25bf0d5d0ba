package dev.hearth.engine.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/// The on-disk token cache: shard files of byte tokens plus a manifest, all written atomically.
///
/// Shard file: `magic "HTOK" (4 bytes) · format version (int32 LE) · token count (int64 LE) · tokens`.
/// Manifest (`manifest.properties`, written last so its presence means "complete"): format version,
/// corpus id, and per shard its token count and SHA-256, which are checked on every open.
final class TokenShards implements TokenSource {

    static final byte[] MAGIC = {'H', 'T', 'O', 'K'};
    /// Bump when the shard layout or the text-to-token rule changes (it is part of the corpus id).
    static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 16;
    /// 8 MiB of tokens per shard: large enough that a 21 MB corpus is three files, small enough to map anywhere.
    static final int SHARD_TOKENS = 8 << 20;
    static final String MANIFEST = "manifest.properties";

    private final Path dir;
    private final List<MappedByteBuffer> shards;
    private final long[] starts; // token offset of each shard in the logical stream, plus the total at the end
    private final String id;
    private final List<ListedShard> listed;

    private record ListedShard(String sha256, long tokens) {}

    private TokenShards(Path dir, List<MappedByteBuffer> shards, long[] starts, String id, List<ListedShard> listed) {
        this.dir = dir;
        this.shards = shards;
        this.starts = starts;
        this.id = id;
        this.listed = listed;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public long tokens() {
        return starts[starts.length - 1];
    }

    /// @throws IllegalStateException for an empty corpus (nothing to publish)
    @Override
    public DatasetManifest manifest() {
        return new DatasetManifest(id, listed.stream().map(l -> new DatasetManifest.Shard(l.sha256(), l.tokens())).toList());
    }

    @Override
    public Path shardFile(int index) {
        return dir.resolve(shardName(index));
    }

    /// Copies tokens `[pos, pos + len)` of the logical stream (across shard boundaries) into dst.
    @Override
    public void read(long pos, byte[] dst, int off, int len) {
        if (pos < 0 || pos + len > tokens()) {
            throw new IndexOutOfBoundsException("tokens [" + pos + ", " + (pos + len) + ") outside [0, " + tokens() + ")");
        }
        int s = 0;
        while (starts[s + 1] <= pos) {
            s++;
        }
        while (len > 0) {
            int inShard = (int) (pos - starts[s]);
            int n = (int) Math.min(len, starts[s + 1] - pos);
            shards.get(s).get(HEADER_BYTES + inShard, dst, off, n);
            pos += n;
            off += n;
            len -= n;
            s++;
        }
    }

    /// Writes `tokens` as shards of [#SHARD_TOKENS] + manifest into `dir` (replacing what is there), then opens it.
    static TokenShards write(Path dir, byte[] tokens, String id) throws IOException {
        return write(dir, tokens, id, SHARD_TOKENS);
    }

    /// Writes `tokens` as shards of `shardTokens` (the last may be shorter) + manifest into `dir`, then opens it.
    static TokenShards write(Path dir, byte[] tokens, String id, int shardTokens) throws IOException {
        if (shardTokens < 1) {
            throw new IllegalArgumentException("shard size must be positive, got " + shardTokens);
        }
        Files.createDirectories(dir);
        Properties m = new Properties();
        m.setProperty("format", Integer.toString(FORMAT_VERSION));
        m.setProperty("id", id);
        int count = Math.max(1, (int) (((long) tokens.length + shardTokens - 1) / shardTokens));
        m.setProperty("shards", Integer.toString(count));
        for (int s = 0; s < count; s++) {
            int from = (int) Math.min((long) s * shardTokens, tokens.length);
            int n = Math.min(shardTokens, tokens.length - from);
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.put(MAGIC).putInt(FORMAT_VERSION).putLong(n).flip();
            writeAtomically(dir.resolve(shardName(s)), header, ByteBuffer.wrap(tokens, from, n));
            m.setProperty("shard." + s + ".tokens", Integer.toString(n));
            m.setProperty("shard." + s + ".sha256", sha256(tokens, from, n));
        }
        var out = new java.io.StringWriter();
        m.store(out, "Hearth token cache; delete this directory to rebuild it from the source");
        writeAtomically(dir.resolve(MANIFEST), ByteBuffer.wrap(out.toString().getBytes(StandardCharsets.ISO_8859_1)));
        return open(dir);
    }

    /// True when `dir` holds a complete cache (a manifest); says nothing yet about its health.
    static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(MANIFEST));
    }

    /// Opens and verifies a cache: every header, size and SHA-256 must match the manifest.
    static TokenShards open(Path dir) throws IOException {
        Properties m = new Properties();
        try (var in = Files.newBufferedReader(dir.resolve(MANIFEST), StandardCharsets.ISO_8859_1)) {
            m.load(in);
        }
        String fix = " — delete the cache directory " + dir + " and start again; it is rebuilt from the source text";
        int format = parse(m, "format", dir, fix);
        if (format != FORMAT_VERSION) {
            throw new CorpusFormatException("token cache " + dir + " has format version " + format + ", this build reads "
                    + FORMAT_VERSION + fix);
        }
        String id = m.getProperty("id");
        int count = parse(m, "shards", dir, fix);
        if (id == null || count < 1) {
            throw new CorpusFormatException("token cache manifest in " + dir + " is incomplete" + fix);
        }
        List<MappedByteBuffer> shards = new ArrayList<>();
        List<ListedShard> listed = new ArrayList<>();
        long[] starts = new long[count + 1];
        for (int s = 0; s < count; s++) {
            Path file = dir.resolve(shardName(s));
            long expected = parse(m, "shard." + s + ".tokens", dir, fix);
            if (!Files.isRegularFile(file)) {
                throw new CorpusFormatException("token shard " + file + " is missing" + fix);
            }
            MappedByteBuffer buf;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size < HEADER_BYTES) {
                    throw new CorpusFormatException("token shard " + file + " is truncated (" + size + " bytes)" + fix);
                }
                buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
                buf.order(ByteOrder.LITTLE_ENDIAN);
                byte[] magic = new byte[4];
                buf.get(0, magic);
                if (!java.util.Arrays.equals(magic, MAGIC)) {
                    throw new CorpusFormatException(file + " is not a Hearth token shard (bad magic number)" + fix);
                }
                int version = buf.getInt(4);
                long n = buf.getLong(8);
                if (version != FORMAT_VERSION) {
                    throw new CorpusFormatException("token shard " + file + " has format version " + version
                            + ", this build reads " + FORMAT_VERSION + fix);
                }
                if (n != expected || size != HEADER_BYTES + n) {
                    throw new CorpusFormatException("token shard " + file + " is truncated or resized: header says " + n
                            + " tokens, manifest " + expected + ", file holds " + (size - HEADER_BYTES) + fix);
                }
                byte[] content = new byte[(int) n];
                buf.get(HEADER_BYTES, content);
                if (!sha256(content, 0, content.length).equals(m.getProperty("shard." + s + ".sha256"))) {
                    throw new CorpusFormatException("token shard " + file + " is corrupted (SHA-256 mismatch)" + fix);
                }
                starts[s + 1] = starts[s] + n;
                listed.add(new ListedShard(m.getProperty("shard." + s + ".sha256"), n));
            }
            shards.add(buf);
        }
        return new TokenShards(dir, shards, starts, id, listed);
    }

    private static int parse(Properties m, String key, Path dir, String fix) throws CorpusFormatException {
        try {
            return Integer.parseInt(m.getProperty(key, ""));
        } catch (NumberFormatException e) {
            throw new CorpusFormatException("token cache manifest in " + dir + ": bad or missing '" + key + "'" + fix);
        }
    }

    static String shardName(int s) {
        return String.format("shard-%05d.tok", s);
    }

    static String sha256(byte[] b, int off, int len) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(b, off, len);
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /// temp file in the same directory → write → fsync → atomic rename: readers see the old file or the whole new one.
    static void writeAtomically(Path target, ByteBuffer... parts) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                for (ByteBuffer p : parts) {
                    while (p.hasRemaining()) {
                        ch.write(p);
                    }
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
