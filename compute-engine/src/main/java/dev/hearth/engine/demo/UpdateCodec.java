package dev.hearth.engine.demo;

import dev.hearth.engine.model.ParameterLayout;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/// Wire format of a {@link SparseUpdate} (all little-endian).
///
/// ```
/// header, 32 bytes:
///   int   magic 'H','D','M','O'     short version (1)     byte encoding (0 sign, 1 fp16)   byte flags (0)
///   short blockSize                 short topK            int   paramCount
///   long  layout fingerprint (DemoBlocking.fingerprint)   int   tensorCount            int   entryCount
/// per tensor, in layout order:
///   int rows, int cols              (as blocked: a vector is 1 × length)
///   uint16 index × entries          (within-block, strictly increasing per block)
///   fp32 scale × blocks             (finite, ≥ 0)
///   values: SIGN_1BIT  ceil(entries / 8) bytes, bit e%8 of byte e/8 set = negative, padding bits zero;
///                      value = ±scale, scale = mean |v| of the block (the L2-best scale for a sign vector)
///           FP16       IEEE half × entries in [−1, 1]; value = half · scale, scale = max |v| of the block
/// ```
///
/// Why a per-block fp32 scale even for 1-bit signs (4 bytes per 4,096-coefficient block, ~6% of a k=32 update):
/// the outer step takes `sign()` of the aggregate anyway, so a scale changes nothing for one node alone, but it
/// keeps each update's magnitude honest, which the coordinator's norm bound, {@link RobustMode#NORM_CLIP} and the
/// trimmed mean need, and it lets the mean weigh a confident node above a hesitant one within a block. fp32 rather
/// than fp16 because momentum coefficients reach ~10⁴–10⁵ with β = 0.999 and 64×64 blocks (fp16 tops out at
/// 65,504). Pure signs (Psyche's variant) would save those bytes: a lever for issue 9's sweep.
///
/// The decoder checks every claimed size against the layout, the config and the caps before it allocates
/// anything, rejects trailing bytes, and throws only {@link MalformedUpdateException} on bad input.
public final class UpdateCodec {

    /// "HDMO" read as a little-endian int.
    public static final int MAGIC = 'H' | 'D' << 8 | 'M' << 16 | 'O' << 24;
    public static final short FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 32;
    static final int TENSOR_HEADER_BYTES = 8;

    private UpdateCodec() {
    }

    /// Size in bytes of any update encoded for this layout and config (fixed: every block keeps k entries).
    public static long encodedSize(DemoBlocking blocking, ValueEncoding encoding) {
        long size = HEADER_BYTES;
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            long entries = t.entryCount();
            size += TENSOR_HEADER_BYTES + 2 * entries + 4L * t.blockCount() + valueBytes(entries, encoding);
        }
        return size;
    }

    private static long valueBytes(long entries, ValueEncoding encoding) {
        return encoding == ValueEncoding.SIGN_1BIT ? (entries + 7) / 8 : 2 * entries;
    }

    /// Compression of one encoded update against dense fp32.
    public static CompressionStats stats(DemoBlocking blocking, byte[] encoded) {
        return CompressionStats.of(blocking.paramCount(), encoded.length);
    }

    public static byte[] encode(SparseUpdate update, ValueEncoding encoding) {
        DemoBlocking blocking = update.blocking();
        long size = encodedSize(blocking, encoding);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("encoded update would take " + size + " bytes");
        }
        byte[] out = new byte[(int) size];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort(FORMAT_VERSION).put(encoding.wireId()).put((byte) 0);
        b.putShort((short) blocking.blockSize()).putShort((short) blocking.topK()).putInt(blocking.paramCount());
        b.putLong(blocking.fingerprint()).putInt(blocking.tensors().size()).putInt(blocking.entryCount());
        short[] idx = update.indexArray();
        float[] val = update.valueArray();
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            b.putInt(t.rows()).putInt(t.cols());
            int e0 = t.entryOffset();
            int entries = t.entryCount();
            int keep = t.keep();
            for (int e = 0; e < entries; e++) {
                b.putShort(idx[e0 + e]);
            }
            float[] scales = new float[t.blockCount()];
            for (int blk = 0; blk < t.blockCount(); blk++) {
                int s0 = e0 + blk * keep;
                float scale = 0f;
                if (encoding == ValueEncoding.SIGN_1BIT) {
                    double sum = 0;
                    for (int e = 0; e < keep; e++) {
                        sum += Math.abs(val[s0 + e]);
                    }
                    scale = (float) (sum / keep);
                } else {
                    for (int e = 0; e < keep; e++) {
                        scale = Math.max(scale, Math.abs(val[s0 + e]));
                    }
                }
                scales[blk] = scale;
                b.putFloat(scale);
            }
            if (encoding == ValueEncoding.SIGN_1BIT) {
                int start = b.position();
                for (int e = 0; e < entries; e++) {
                    if (val[e0 + e] < 0f) {
                        out[start + (e >>> 3)] |= (byte) (1 << (e & 7));
                    }
                }
                b.position(start + (int) valueBytes(entries, encoding));
            } else {
                for (int blk = 0; blk < t.blockCount(); blk++) {
                    float scale = scales[blk];
                    int s0 = e0 + blk * keep;
                    for (int e = 0; e < keep; e++) {
                        float h = scale == 0f ? 0f : Math.max(-1f, Math.min(1f, val[s0 + e] / scale));
                        b.putShort(Float.floatToFloat16(h));
                    }
                }
            }
        }
        if (b.position() != out.length) {
            throw new IllegalStateException("encoder wrote " + b.position() + " of " + out.length + " bytes");
        }
        return out;
    }

    /// Decodes and validates an update made for `layout` with `config`.
    ///
    /// @throws MalformedUpdateException naming the first problem found; nothing else on bad input
    public static SparseUpdate decode(byte[] data, ParameterLayout layout, DemoConfig config)
            throws MalformedUpdateException {
        return decode(data, new DemoBlocking(layout, config), config.encoding());
    }

    /// As {@link #decode(byte[], ParameterLayout, DemoConfig)} with a blocking built once for many updates.
    public static SparseUpdate decode(byte[] data, DemoBlocking blocking, ValueEncoding expectedEncoding)
            throws MalformedUpdateException {
        if (data == null) {
            throw new MalformedUpdateException("update is missing (null)");
        }
        try {
            return decodeChecked(data, blocking, expectedEncoding);
        } catch (BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException e) {
            // Every size is checked up front, so this is a decoder bug; still the caller gets the one exception
            // type it handles, with the cause attached.
            throw new MalformedUpdateException("update could not be decoded: " + e, e);
        }
    }

    private static SparseUpdate decodeChecked(byte[] data, DemoBlocking blocking, ValueEncoding expectedEncoding)
            throws MalformedUpdateException {
        if (data.length < HEADER_BYTES) {
            throw new MalformedUpdateException("update truncated: " + data.length + " bytes, the header alone needs "
                    + HEADER_BYTES);
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt();
        if (magic != MAGIC) {
            throw new MalformedUpdateException(String.format("not a Hearth DeMo update: magic 0x%08x, expected 0x%08x",
                    magic, MAGIC));
        }
        int version = b.getShort() & 0xFFFF;
        if (version != FORMAT_VERSION) {
            throw new MalformedUpdateException("update format version " + version + " is not supported (this build reads "
                    + FORMAT_VERSION + ")");
        }
        int encId = b.get() & 0xFF;
        ValueEncoding enc = ValueEncoding.fromWireId(encId);
        if (enc == null) {
            throw new MalformedUpdateException("unknown value encoding id " + encId);
        }
        if (enc != expectedEncoding) {
            throw new MalformedUpdateException("value encoding " + enc + " does not match the run's " + expectedEncoding);
        }
        int flags = b.get() & 0xFF;
        if (flags != 0) {
            throw new MalformedUpdateException("reserved flags byte is " + flags + ", must be 0");
        }
        int blockSize = b.getShort() & 0xFFFF;
        int topK = b.getShort() & 0xFFFF;
        if (blockSize < 1 || blockSize > DemoConfig.MAX_BLOCK_SIZE) {
            throw new MalformedUpdateException("block size " + blockSize + " is outside [1, " + DemoConfig.MAX_BLOCK_SIZE
                    + "]");
        }
        if (topK < 1 || topK > DemoConfig.MAX_TOP_K || topK > blockSize * blockSize) {
            throw new MalformedUpdateException("top-k " + topK + " is over the cap (at most " + DemoConfig.MAX_TOP_K
                    + " and at most blockSize² = " + blockSize * blockSize + ", at least 1)");
        }
        if (blockSize != blocking.blockSize() || topK != blocking.topK()) {
            throw new MalformedUpdateException("update uses block size " + blockSize + " and k " + topK
                    + ", the run uses " + blocking.blockSize() + " and " + blocking.topK());
        }
        int params = b.getInt();
        long fingerprint = b.getLong();
        int tensorCount = b.getInt();
        int entryCount = b.getInt();
        if (params != blocking.paramCount() || fingerprint != blocking.fingerprint()) {
            throw new MalformedUpdateException(String.format(
                    "update was made for another layout: %d parameters, fingerprint %016x; expected %d, %016x",
                    params, fingerprint, blocking.paramCount(), blocking.fingerprint()));
        }
        if (tensorCount != blocking.tensors().size()) {
            throw new MalformedUpdateException("update claims " + Integer.toUnsignedString(tensorCount)
                    + " tensors, the layout has " + blocking.tensors().size());
        }
        if (entryCount != blocking.entryCount()) {
            throw new MalformedUpdateException("update claims " + Integer.toUnsignedString(entryCount)
                    + " entries, the layout and k give " + blocking.entryCount());
        }
        long expected = encodedSize(blocking, enc);
        if (data.length < expected) {
            throw new MalformedUpdateException("update truncated: " + data.length + " bytes, expected " + expected);
        }
        if (data.length > expected) {
            throw new MalformedUpdateException("update has " + (data.length - expected) + " trailing bytes after the "
                    + expected + " it should have");
        }
        // Every size is now known to match: allocation is bounded by the layout, not by the sender.
        short[] idx = new short[blocking.entryCount()];
        float[] val = new float[blocking.entryCount()];
        float[] scales = new float[maxBlocks(blocking)];
        ParameterLayout layout = blocking.layout();
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            String name = layout.tensors().get(t.tensorIndex()).name();
            int rows = b.getInt();
            int cols = b.getInt();
            if (rows != t.rows() || cols != t.cols()) {
                throw new MalformedUpdateException("tensor " + name + " has shape [" + Integer.toUnsignedString(rows)
                        + ", " + Integer.toUnsignedString(cols) + "], the layout says [" + t.rows() + ", " + t.cols()
                        + "]");
            }
            int e0 = t.entryOffset();
            int keep = t.keep();
            int elems = t.blockElems();
            int entries = t.entryCount();
            for (int blk = 0; blk < t.blockCount(); blk++) {
                int previous = -1;
                for (int e = 0; e < keep; e++) {
                    short raw = b.getShort();
                    int k = raw & 0xFFFF;
                    if (k >= elems) {
                        throw new MalformedUpdateException("tensor " + name + " block " + blk + ": index " + k
                                + " out of range (block has " + elems + " coefficients)");
                    }
                    if (k <= previous) {
                        throw new MalformedUpdateException("tensor " + name + " block " + blk + ": index " + k
                                + " after " + previous + " (indices must be strictly increasing)");
                    }
                    previous = k;
                    idx[e0 + blk * keep + e] = raw;
                }
            }
            for (int blk = 0; blk < t.blockCount(); blk++) {
                float s = b.getFloat();
                if (!(s >= 0f && Float.isFinite(s))) {
                    throw new MalformedUpdateException("tensor " + name + " block " + blk + ": scale " + s
                            + " is not a finite non-negative number");
                }
                scales[blk] = s;
            }
            if (enc == ValueEncoding.SIGN_1BIT) {
                int start = b.position();
                for (int e = 0; e < entries; e++) {
                    boolean negative = (data[start + (e >>> 3)] & (1 << (e & 7))) != 0;
                    float s = scales[e / keep];
                    val[e0 + e] = negative ? -s : s;
                }
                int bytes = (int) valueBytes(entries, enc);
                int tail = entries & 7;
                if (tail != 0 && ((data[start + bytes - 1] & 0xFF) >>> tail) != 0) {
                    throw new MalformedUpdateException("tensor " + name + ": sign padding bits are not zero");
                }
                b.position(start + bytes);
            } else {
                for (int e = 0; e < entries; e++) {
                    short h = b.getShort();
                    float v = Float.float16ToFloat(h);
                    if (!(Math.abs(v) <= 1f)) {
                        throw new MalformedUpdateException("tensor " + name + " entry " + e + ": fp16 value " + v
                                + (Float.isFinite(v) ? " is outside [-1, 1]" : " is not finite"));
                    }
                    val[e0 + e] = v * scales[e / keep];
                }
            }
        }
        return new SparseUpdate(blocking, idx, val);
    }

    private static int maxBlocks(DemoBlocking blocking) {
        int m = 0;
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            m = Math.max(m, t.blockCount());
        }
        return m;
    }
}
