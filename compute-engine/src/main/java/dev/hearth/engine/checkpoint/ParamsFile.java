package dev.hearth.engine.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/// A model version's parameters as one file or byte string: what a coordinator serves as the checkpoint
/// to joining nodes (in chunks) and what a node hands its trainer worker.
///
/// The node hands parameters to its trainer worker through a file (a pipe would copy 44 MB per round
/// for `small`; a file is written once per version and read only when the worker lacks that version).
/// Layout: magic `HPRM`, format version (int), model version (long), count (int), floats little-endian.
public final class ParamsFile {

    public static final int MAGIC = 0x4850524D; // "HPRM"
    public static final int FORMAT = 1;
    private static final int HEADER_BYTES = 4 + 4 + 8 + 4;

    /// Floats hashed per copy: 64 KiB, small enough to stay in L2.
    private static final int SHA_CHUNK_FLOATS = 1 << 14;

    private ParamsFile() {}

    public record Loaded(long version, float[] params) {}

    /// SHA-256 over the parameters as little-endian float32: what a RoundCommit's `params_sha256` names, so a
    /// node can tell that applying the commit gave it exactly the coordinator's model.
    public static byte[] sha256(float[] params) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            // Bulk copies of 16 Ki floats through a little-endian view (a per-float putFloat loop was ~10× slower).
            ByteBuffer buf = ByteBuffer.allocate(SHA_CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            java.nio.FloatBuffer floats = buf.asFloatBuffer();
            for (int off = 0; off < params.length; off += SHA_CHUNK_FLOATS) {
                int n = Math.min(SHA_CHUNK_FLOATS, params.length - off);
                floats.clear();
                floats.put(params, off, n);
                md.update(buf.array(), 0, n * Float.BYTES);
            }
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /// The byte form: header + little-endian floats.
    public static byte[] toBytes(long version, float[] params) {
        ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + 4 * params.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(MAGIC).putInt(FORMAT).putLong(version).putInt(params.length);
        buf.asFloatBuffer().put(params);
        return buf.array();
    }

    /// Parses the byte form.
    /// @param what names the source in error messages (a file, "checkpoint from the coordinator")
    /// @throws IOException naming the problem when the bytes are not parameters of `expectedCount` floats
    public static Loaded fromBytes(byte[] bytes, int expectedCount, String what) throws IOException {
        if (bytes.length < HEADER_BYTES) throw new IOException(what + ": too short for a parameters file");
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.getInt() != MAGIC) throw new IOException(what + ": not a Hearth parameters file (bad magic)");
        int format = buf.getInt();
        if (format != FORMAT) throw new IOException(what + ": parameters format " + format + ", expected " + FORMAT);
        long version = buf.getLong();
        int count = buf.getInt();
        if (count != expectedCount) {
            throw new IOException(what + ": holds " + count + " parameters, the model has " + expectedCount);
        }
        if (buf.remaining() != 4L * count) throw new IOException(what + ": truncated or has trailing bytes");
        float[] params = new float[count];
        buf.asFloatBuffer().get(params);
        return new Loaded(version, params);
    }

    /// Atomically replaces `file` with these parameters (temp file + fsync + rename), so a reader never sees half a file.
    public static void write(Path file, long version, float[] params) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ByteBuffer buf = ByteBuffer.wrap(toBytes(version, params));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (buf.hasRemaining()) ch.write(buf);
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /// @throws IOException naming the file and the problem when it is not a parameters file of `expectedCount` floats
    public static Loaded read(Path file, int expectedCount) throws IOException {
        return fromBytes(Files.readAllBytes(file), expectedCount, file.toString());
    }
}
