package dev.hearth.coordinator.checkpoint;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/// Checkpoints of the coordinator's model in one directory, written atomically, verified on load, and
/// served to joining nodes in chunks.
///
/// File `checkpoint-<version>.hck`, big-endian:
/// ```
/// magic "HEARTHRN" (8 bytes) | format version (int) | version (long) | round (long) | run id (modified UTF-8)
/// | param count (int) | array count (int) | per array: name (modified UTF-8), length (int)
/// | params (float × count) | each array's floats in the same order | SHA-256 of everything before (32 bytes)
/// ```
/// Written to a temporary file, fsynced, renamed over the final name, then the directory is fsynced: a
/// crash leaves either the old set of files or the new one, never a half file under a final name. The newest
/// {@link #keep} checkpoints are kept so that a corrupt newest file falls back to the one before.
///
/// Self-contained on purpose (the engine has its own checkpoint format; unifying them is a later decision).
/// Thread-safe: writes are serialized; reads of a written version never see a partial file.
public final class CheckpointStore {

    /// "HEARTHRN" (run): distinct from the engine's model checkpoints ("HEARTHCK"), so one is never read as the other.
    public static final byte[] MAGIC = "HEARTHRN".getBytes(StandardCharsets.US_ASCII);
    /// Bump when the layout above changes; old files are then refused with a message naming both versions.
    public static final int FORMAT_VERSION = 1;
    /// 1 MiB chunks: a resumed download loses at most 1 MiB, and a `small` checkpoint (44 MB) is ~42 requests.
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;
    /// Keep 2: the newest and one to fall back to if the newest turns out corrupt.
    public static final int DEFAULT_KEEP = 2;
    /// At most 64 named arrays of extra state: more means something is misusing the checkpoint.
    public static final int MAX_ARRAYS = 64;
    /// Floats per array/params: the int-indexed Java array limit.
    public static final int MAX_FLOATS = Integer.MAX_VALUE - 8;

    private static final int SHA256_BYTES = 32;
    /// 256 KiB of floats per I/O step: big enough to stream at disk speed, small enough to not matter for heap.
    private static final int IO_BLOCK_BYTES = 1 << 18;
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d{1,19})\\.hck");

    private final Path dir;
    private final int chunkBytes;
    private final int keep;
    private final Map<Long, CheckpointManifest> manifests = new ConcurrentHashMap<>();

    public CheckpointStore(Path dir) {
        this(dir, DEFAULT_CHUNK_BYTES, DEFAULT_KEEP);
    }

    public CheckpointStore(Path dir, int chunkBytes, int keep) {
        if (chunkBytes < 1 || keep < 1) {
            throw new IllegalArgumentException("chunk size and keep count must be >= 1, got " + chunkBytes + ", " + keep);
        }
        this.dir = dir;
        this.chunkBytes = chunkBytes;
        this.keep = keep;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CheckpointException("cannot create checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /// True when `version` is one to checkpoint at, every `everyRounds` committed versions.
    public static boolean isDue(long version, int everyRounds) {
        return everyRounds > 0 && version > 0 && version % everyRounds == 0;
    }

    public Path dir() {
        return dir;
    }

    public Path fileOf(long version) {
        return dir.resolve(String.format("checkpoint-%012d.hck", version));
    }

    // ---- write ------------------------------------------------------------------------------------

    /// Writes `cp` atomically, drops checkpoints beyond the newest {@link #keep}, and returns its manifest.
    public synchronized CheckpointManifest write(Checkpoint cp) {
        if (cp.arrays().size() > MAX_ARRAYS) {
            throw new IllegalArgumentException("checkpoint has " + cp.arrays().size() + " named arrays, max " + MAX_ARRAYS);
        }
        Path target = fileOf(cp.version());
        Path tmp = dir.resolve(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            MessageDigest sha = sha256();
            var digestOut = new DigestOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), IO_BLOCK_BYTES), sha);
            var out = new DataOutputStream(digestOut);
            out.write(MAGIC);
            out.writeInt(FORMAT_VERSION);
            out.writeLong(cp.version());
            out.writeLong(cp.round());
            out.writeUTF(cp.runId());
            out.writeInt(cp.params().length);
            out.writeInt(cp.arrays().size());
            for (var e : cp.arrays().entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
            }
            writeFloats(out, cp.params());
            for (float[] a : cp.arrays().values()) {
                writeFloats(out, a);
            }
            out.flush();
            digestOut.on(false);
            out.write(sha.digest());
            out.flush();
            ch.force(true);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new CheckpointException("cannot write checkpoint " + target + ": " + e.getMessage()
                    + " (disk full? the previous checkpoint is untouched)", e);
        }
        try {
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            fsyncDirectory();
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new CheckpointException("cannot move checkpoint into place at " + target + ": " + e.getMessage(), e);
        }
        manifests.remove(cp.version());
        CheckpointManifest manifest = manifest(cp.version());
        prune();
        return manifest;
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(IO_BLOCK_BYTES).order(ByteOrder.BIG_ENDIAN);
        int perBlock = IO_BLOCK_BYTES / Float.BYTES;
        for (int i = 0; i < values.length; i += perBlock) {
            int n = Math.min(perBlock, values.length - i);
            block.clear();
            block.asFloatBuffer().put(values, i, n);
            out.write(block.array(), 0, n * Float.BYTES);
        }
    }

    private void fsyncDirectory() {
        // Makes the rename durable on Linux/macOS; Windows cannot open a directory as a channel, and NTFS
        // journals the rename itself.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort, see above
        }
    }

    private void prune() {
        List<Long> versions = versions();
        for (int i = keep; i < versions.size(); i++) {
            long v = versions.get(i);
            deleteQuietly(fileOf(v));
            manifests.remove(v);
        }
    }

    // ---- read -------------------------------------------------------------------------------------

    /// Versions on disk, newest first.
    public List<Long> versions() {
        var out = new ArrayList<Long>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "checkpoint-*.hck")) {
            for (Path f : files) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (m.matches()) {
                    out.add(Long.parseLong(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot list checkpoints in " + dir + ": " + e.getMessage(), e);
        }
        out.sort((a, b) -> Long.compare(b, a));
        return out;
    }

    /// The newest checkpoint that loads, and the newer files that did not (with why).
    public record Recovery(Checkpoint checkpoint, List<String> skipped) {
        public Recovery {
            skipped = List.copyOf(skipped);
        }
    }

    /// Loads the newest valid checkpoint of run `runId`, falling back over corrupt or truncated files.
    ///
    /// @return empty when there is no valid checkpoint (the run starts from its initial parameters)
    /// @throws CheckpointException if a valid checkpoint belongs to another run (a wrong data dir is an operator
    ///                             error to report, not a reason to silently start over)
    public Optional<Recovery> loadLatest(String runId) {
        var skipped = new ArrayList<String>();
        for (long v : versions()) {
            Checkpoint cp;
            try {
                cp = load(v);
            } catch (CheckpointException e) {
                skipped.add(e.getMessage());
                continue;
            }
            if (!cp.runId().equals(runId)) {
                throw new CheckpointException("checkpoint " + fileOf(v) + " belongs to run '" + cp.runId() + "', not '"
                        + runId + "': point --data-dir at this run's directory");
            }
            int bad = dev.hearth.coordinator.health.ModelHealth.firstNonFinite(cp.params());
            if (bad >= 0) { // the model's health: a run resumes from its last healthy version, never from this one
                skipped.add("checkpoint " + fileOf(v) + " holds parameter " + bad + " = " + cp.params()[bad]
                        + ": not a healthy version");
                continue;
            }
            return Optional.of(new Recovery(cp, skipped));
        }
        if (!skipped.isEmpty()) {
            throw new CheckpointException("no valid checkpoint in " + dir + "; every file failed: " + String.join("; ", skipped)
                    + ". Restore a checkpoint from a backup or move the directory away to start the run over");
        }
        return Optional.empty();
    }

    /// Loads and verifies one checkpoint.
    ///
    /// @throws CheckpointException naming the file and the problem (missing, not a checkpoint, other format,
    ///                             truncated, checksum mismatch)
    public Checkpoint load(long version) {
        Path file = fileOf(version);
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("checkpoint " + file + " does not exist", e);
        } catch (IOException e) {
            throw new CheckpointException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
        MessageDigest sha = sha256();
        try (InputStream raw = Files.newInputStream(file);
             var digestIn = new DigestInputStream(new BufferedInputStream(raw, IO_BLOCK_BYTES), sha);
             var in = new DataInputStream(digestIn)) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw corrupt(file, "is not a Hearth coordinator checkpoint (bad magic)");
            }
            int format = in.readInt();
            if (format != FORMAT_VERSION) {
                throw corrupt(file, "has format version " + format + ", this coordinator reads " + FORMAT_VERSION);
            }
            long fileVersion = in.readLong();
            long round = in.readLong();
            String runId = in.readUTF();
            if (fileVersion != version) {
                throw corrupt(file, "holds version " + fileVersion + " but is named for version " + version);
            }
            int paramCount = in.readInt();
            int arrayCount = in.readInt();
            if (paramCount < 0 || arrayCount < 0 || arrayCount > MAX_ARRAYS) {
                throw corrupt(file, "has an impossible header (" + paramCount + " params, " + arrayCount + " arrays)");
            }
            var names = new ArrayList<String>();
            var lengths = new ArrayList<Integer>();
            long floats = paramCount;
            for (int i = 0; i < arrayCount; i++) {
                names.add(in.readUTF());
                int len = in.readInt();
                if (len < 0) {
                    throw corrupt(file, "has a negative array length");
                }
                lengths.add(len);
                floats += len;
            }
            // Check the claimed sizes against the file before allocating anything.
            long expected = headerBytes(runId, names) + floats * Float.BYTES + SHA256_BYTES;
            if (expected != size) {
                throw corrupt(file, (size < expected ? "is truncated" : "has trailing bytes") + ": " + size
                        + " bytes, its header implies " + expected);
            }
            float[] params = readFloats(in, paramCount);
            var arrays = new LinkedHashMap<String, float[]>();
            for (int i = 0; i < arrayCount; i++) {
                arrays.put(names.get(i), readFloats(in, lengths.get(i)));
            }
            digestIn.on(false);
            byte[] stored = new byte[SHA256_BYTES];
            in.readFully(stored);
            if (!MessageDigest.isEqual(stored, sha.digest())) {
                throw corrupt(file, "fails its SHA-256 check (the file is damaged)");
            }
            return new Checkpoint(runId, round, fileVersion, params, arrays);
        } catch (EOFException e) {
            throw corrupt(file, "is truncated (ends inside its header)");
        } catch (IOException e) {
            throw new CheckpointException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static long headerBytes(String runId, List<String> names) {
        long n = MAGIC.length + Integer.BYTES + 2L * Long.BYTES + utfBytes(runId) + 2L * Integer.BYTES;
        for (String name : names) {
            n += utfBytes(name) + Integer.BYTES;
        }
        return n;
    }

    /// Length of `DataOutput.writeUTF`: 2-byte length + modified UTF-8.
    private static long utfBytes(String s) {
        long n = 2;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += (c >= 0x0001 && c <= 0x007F) ? 1 : (c <= 0x07FF ? 2 : 3);
        }
        return n;
    }

    private static float[] readFloats(DataInputStream in, int count) throws IOException {
        float[] out = new float[count];
        byte[] block = new byte[IO_BLOCK_BYTES];
        int perBlock = IO_BLOCK_BYTES / Float.BYTES;
        for (int i = 0; i < count; i += perBlock) {
            int n = Math.min(perBlock, count - i);
            in.readFully(block, 0, n * Float.BYTES);
            ByteBuffer.wrap(block, 0, n * Float.BYTES).order(ByteOrder.BIG_ENDIAN).asFloatBuffer().get(out, i, n);
        }
        return out;
    }

    private static CheckpointException corrupt(Path file, String problem) {
        return new CheckpointException("checkpoint " + file + " " + problem
                + "; delete or move it away (the store falls back to the previous checkpoint if one is kept)");
    }

    // ---- serving ----------------------------------------------------------------------------------

    /// The newest checkpoint's manifest, or empty when there is none.
    public Optional<CheckpointManifest> manifest() {
        List<Long> versions = versions();
        return versions.isEmpty() ? Optional.empty() : Optional.of(manifest(versions.getFirst()));
    }

    /// The manifest of a kept version (hashes computed once from the file, then cached).
    public CheckpointManifest manifest(long version) {
        CheckpointManifest cached = manifests.get(version);
        if (cached != null) {
            return cached;
        }
        Path file = fileOf(version);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long total = ch.size();
            MessageDigest whole = sha256();
            var chunks = new ArrayList<String>();
            ByteBuffer buf = ByteBuffer.allocate(chunkBytes);
            long pos = 0;
            while (pos < total) {
                buf.clear();
                int want = (int) Math.min(chunkBytes, total - pos);
                buf.limit(want);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, pos + buf.position()) < 0) {
                        throw new EOFException("file shrank while hashing");
                    }
                }
                MessageDigest chunk = sha256();
                chunk.update(buf.array(), 0, want);
                whole.update(buf.array(), 0, want);
                chunks.add(HexFormat.of().formatHex(chunk.digest()));
                pos += want;
            }
            var m = new CheckpointManifest(version, total, chunkBytes, chunks, HexFormat.of().formatHex(whole.digest()));
            manifests.put(version, m);
            return m;
        } catch (NoSuchFileException e) {
            throw new CheckpointException("checkpoint version " + version + " is not kept any more (newest: "
                    + versions().stream().findFirst().map(String::valueOf).orElse("none") + "); fetch the manifest again", e);
        } catch (IOException e) {
            throw new CheckpointException("cannot hash checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /// Chunk `index` of a kept version's file, for a node's resumable download.
    public byte[] readChunk(long version, int index) {
        CheckpointManifest m = manifest(version);
        if (index < 0 || index >= m.chunks()) {
            throw new IllegalArgumentException("chunk " + index + " of version " + version + " does not exist (it has "
                    + m.chunks() + " chunks)");
        }
        long pos = (long) index * chunkBytes;
        int len = (int) Math.min(chunkBytes, m.totalBytes() - pos);
        ByteBuffer buf = ByteBuffer.allocate(len);
        try (FileChannel ch = FileChannel.open(fileOf(version), StandardOpenOption.READ)) {
            while (buf.hasRemaining()) {
                if (ch.read(buf, pos + buf.position()) < 0) {
                    throw new EOFException("checkpoint shorter than its manifest");
                }
            }
        } catch (NoSuchFileException e) {
            throw new CheckpointException("checkpoint version " + version + " is not kept any more; fetch the manifest again", e);
        } catch (IOException e) {
            throw new CheckpointException("cannot read chunk " + index + " of checkpoint version " + version + ": "
                    + e.getMessage(), e);
        }
        return buf.array();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover .tmp is overwritten by the next write of that version
        }
    }
}
