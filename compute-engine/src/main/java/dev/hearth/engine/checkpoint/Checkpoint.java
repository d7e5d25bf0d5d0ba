package dev.hearth.engine.checkpoint;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/// A training checkpoint: the flat parameters, any named optimizer-state arrays (DeMo momentum, AdamW
/// moments...) and metadata, in one self-checking file.
///
/// Layout (all integers little-endian):
/// ```
/// magic "HEARTHCK" (8) · format version int32 · metadata · params · state · SHA-256 of everything before (32)
/// metadata = model name · layout format version int32 · run id · version int64   (strings: int32 length + UTF-8)
/// params   = count int32 · float32 × count
/// state    = entries int32 · (name · count int32 · float32 × count) × entries
/// ```
/// Files are written atomically (temp file in the same directory, fsync, rename), so a crash leaves the old
/// checkpoint or the new one, never half of one.
public record Checkpoint(Metadata metadata, float[] params, Map<String, float[]> state) {

    static final byte[] MAGIC = "HEARTHCK".getBytes(StandardCharsets.US_ASCII);
    /// Bump when the layout above changes.
    public static final int FORMAT_VERSION = 1;
    static final int DIGEST_BYTES = 32;
    /// 2^28 floats (1 GiB) per array: 25× the `small` model; a larger count is a corrupted header, not a model.
    static final int MAX_FLOATS = 1 << 28;
    /// Named state arrays per checkpoint; optimizers keep a handful.
    static final int MAX_STATE_ENTRIES = 64;
    /// Longest accepted string (names, run ids) in bytes.
    static final int MAX_STRING_BYTES = 4096;

    /// What the parameters are: model config name, {@code ParameterLayout.FORMAT_VERSION}, the run, and the
    /// committed version (round) they belong to.
    public record Metadata(String model, int layoutVersion, String runId, long version) {
    }

    public Checkpoint {
        state = Collections.unmodifiableMap(new LinkedHashMap<>(state));
    }

    /// The parameters of one model version and nothing else: what a coordinator serves to joining nodes and
    /// what a node hands its trainer worker.
    public static Checkpoint ofParams(ModelConfig model, String runId, long version, float[] params) {
        return new Checkpoint(new Metadata(model.name(), ParameterLayout.FORMAT_VERSION, runId, version), params, Map.of());
    }

    /// The parameters, checked against the model they must fit.
    /// @throws CheckpointFormatException naming `source` when the model, layout version or size differ
    public float[] paramsFor(ModelConfig model, String source) throws CheckpointFormatException {
        int expected = ParameterLayout.gpt(model).size();
        if (!metadata.model().equals(model.name()) || metadata.layoutVersion() != ParameterLayout.FORMAT_VERSION
                || params.length != expected) {
            throw new CheckpointFormatException(source + " holds model " + metadata.model() + " (layout "
                    + metadata.layoutVersion() + ", " + params.length + " parameters), not " + model.name() + " (layout "
                    + ParameterLayout.FORMAT_VERSION + ", " + expected + " parameters)");
        }
        return params;
    }

    /// Serialises to bytes (e.g. to send in chunks).
    public byte[] encode() {
        try {
            var bytes = new ByteArrayOutputStream(16 + params.length * 4);
            var out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.write(le(4).putInt(FORMAT_VERSION).array());
            writeString(out, metadata.model());
            out.write(le(4).putInt(metadata.layoutVersion()).array());
            writeString(out, metadata.runId());
            out.write(le(8).putLong(metadata.version()).array());
            writeFloats(out, params);
            out.write(le(4).putInt(state.size()).array());
            for (var e : state.entrySet()) {
                writeString(out, e.getKey());
                writeFloats(out, e.getValue());
            }
            out.write(sha256(bytes.toByteArray(), bytes.size()));
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
    }

    /// Writes atomically: temp file → fsync → rename over `file` (then fsyncs the directory where supported).
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(encode());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException | UnsupportedOperationException e) {
                // directories cannot be opened for fsync on Windows; the rename itself is still atomic
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static Checkpoint read(Path file) throws IOException {
        return decode(Files.readAllBytes(file), file.toString());
    }

    /// Parses and verifies bytes from {@link #encode()}; `source` names them in error messages.
    public static Checkpoint decode(byte[] data, String source) throws CheckpointFormatException {
        if (data.length < MAGIC.length || !Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new CheckpointFormatException(source + " is not a Hearth checkpoint (bad magic number)");
        }
        if (data.length < MAGIC.length + 4 + DIGEST_BYTES) {
            throw new CheckpointFormatException(source + " is truncated (" + data.length + " bytes)");
        }
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        in.position(MAGIC.length);
        int format = in.getInt();
        if (format != FORMAT_VERSION) {
            throw new CheckpointFormatException(source + " has checkpoint format version " + format
                    + "; this build reads version " + FORMAT_VERSION);
        }
        int body = data.length - DIGEST_BYTES;
        if (!Arrays.equals(sha256(data, body), 0, DIGEST_BYTES, data, body, data.length)) {
            throw new CheckpointFormatException(source + " is truncated or corrupted (SHA-256 mismatch); "
                    + "delete it and fetch or restore the checkpoint again");
        }
        in.limit(body);
        try {
            Metadata meta = new Metadata(readString(in, source), in.getInt(), readString(in, source), in.getLong());
            float[] params = readFloats(in, source);
            int entries = in.getInt();
            if (entries < 0 || entries > MAX_STATE_ENTRIES) {
                throw new CheckpointFormatException(source + ": " + entries + " state arrays (limit "
                        + MAX_STATE_ENTRIES + ")");
            }
            Map<String, float[]> state = new LinkedHashMap<>();
            for (int i = 0; i < entries; i++) {
                state.put(readString(in, source), readFloats(in, source));
            }
            if (in.hasRemaining()) {
                throw new CheckpointFormatException(source + ": " + in.remaining() + " unexpected trailing bytes");
            }
            return new Checkpoint(meta, params, state);
        } catch (BufferUnderflowException e) {
            throw new CheckpointFormatException(source + ": a field runs past the end of the checkpoint");
        }
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string longer than " + MAX_STRING_BYTES + " bytes: " + s);
        }
        out.write(le(4).putInt(b.length).array());
        out.write(b);
    }

    private static void writeFloats(DataOutputStream out, float[] x) throws IOException {
        out.write(le(4).putInt(x.length).array());
        ByteBuffer b = le(x.length * 4);
        b.asFloatBuffer().put(x);
        out.write(b.array());
    }

    private static String readString(ByteBuffer in, String source) throws CheckpointFormatException {
        int n = in.getInt();
        if (n < 0 || n > MAX_STRING_BYTES || n > in.remaining()) {
            throw new CheckpointFormatException(source + ": bad string length " + n);
        }
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static float[] readFloats(ByteBuffer in, String source) throws CheckpointFormatException {
        int n = in.getInt();
        if (n < 0 || n > MAX_FLOATS || (long) n * 4 > in.remaining()) {
            throw new CheckpointFormatException(source + ": bad array length " + n);
        }
        float[] x = new float[n];
        in.asFloatBuffer().get(x);
        in.position(in.position() + n * 4);
        return x;
    }

    private static byte[] sha256(byte[] data, int len) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(data, 0, len);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // Records compare arrays by identity; compare contents instead.
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Checkpoint c) || !metadata.equals(c.metadata) || !Arrays.equals(params, c.params)
                || !state.keySet().equals(c.state.keySet())) {
            return false;
        }
        for (var e : state.entrySet()) {
            if (!Arrays.equals(e.getValue(), c.state.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return metadata.hashCode() * 31 + Arrays.hashCode(params);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + metadata + ", " + params.length + " params, state " + state.keySet() + "]";
    }
}
