package dev.hearth.node.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/// The node hands parameters to its trainer worker through a file (a pipe would copy 44 MB per round
/// for `small`; a file is written once per version and read only when the worker lacks that version).
/// Layout: magic `HPRM`, format version (int), model version (long), count (int), floats little-endian.
public final class ParamsFile {

    static final int MAGIC = 0x4850524D; // "HPRM"
    static final int FORMAT = 1;
    private static final int HEADER_BYTES = 4 + 4 + 8 + 4;

    private ParamsFile() {}

    public record Loaded(long version, float[] params) {}

    /// Atomically replaces `file` with these parameters (temp file + rename), so a worker never reads half a file.
    public static void write(Path file, long version, float[] params) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + 4 * params.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(MAGIC).putInt(FORMAT).putLong(version).putInt(params.length);
        buf.asFloatBuffer().put(params);
        buf.position(0).limit(buf.capacity());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (buf.hasRemaining()) ch.write(buf);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /// @throws IOException naming the file and the problem when it is not a parameters file of `expectedCount` floats
    public static Loaded read(Path file, int expectedCount) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < HEADER_BYTES) throw new IOException(file + ": too short for a parameters file");
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.getInt() != MAGIC) throw new IOException(file + ": not a Hearth parameters file (bad magic)");
        int format = buf.getInt();
        if (format != FORMAT) throw new IOException(file + ": parameters format " + format + ", expected " + FORMAT);
        long version = buf.getLong();
        int count = buf.getInt();
        if (count != expectedCount) {
            throw new IOException(file + ": holds " + count + " parameters, the model has " + expectedCount);
        }
        if (buf.remaining() != 4L * count) throw new IOException(file + ": truncated or has trailing bytes");
        float[] params = new float[count];
        buf.asFloatBuffer().get(params);
        return new Loaded(version, params);
    }
}
