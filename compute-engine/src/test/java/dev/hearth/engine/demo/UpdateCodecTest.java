package dev.hearth.engine.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class UpdateCodecTest {

    private static final ParameterLayout LAYOUT = DemoFixtures.tinyLayout();

    private static SparseUpdate update(DemoConfig config, long seed) {
        return new DemoCompressor(LAYOUT, config).compress(DemoFixtures.gaussian(LAYOUT.size(), seed, 1f));
    }

    @Test
    void signEncodingRoundTripsIndicesSignsAndBlockMeanMagnitude() throws Exception {
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        SparseUpdate q = update(config, 1);
        byte[] bytes = UpdateCodec.encode(q, ValueEncoding.SIGN_1BIT);
        SparseUpdate d = UpdateCodec.decode(bytes, LAYOUT, config);
        for (DemoBlocking.TensorBlocks t : q.blocking().tensors()) {
            for (int blk = 0; blk < t.blockCount(); blk++) {
                int e0 = t.entryOffset() + blk * t.keep();
                double meanAbs = 0;
                for (int e = 0; e < t.keep(); e++) {
                    meanAbs += Math.abs(q.value(e0 + e));
                }
                meanAbs /= t.keep();
                for (int e = 0; e < t.keep(); e++) {
                    assertEquals(q.index(e0 + e), d.index(e0 + e));
                    assertEquals(Math.signum(q.value(e0 + e)) * meanAbs, d.value(e0 + e), 1e-6 * (1 + meanAbs));
                }
            }
        }
        // canonical: re-encoding the decoded update gives the same bytes
        assertArrayEquals(bytes, UpdateCodec.encode(d, ValueEncoding.SIGN_1BIT));
    }

    @Test
    void fp16EncodingRoundTripsWithinHalfPrecision() throws Exception {
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.FP16);
        SparseUpdate q = update(config, 2);
        byte[] bytes = UpdateCodec.encode(q, ValueEncoding.FP16);
        SparseUpdate d = UpdateCodec.decode(bytes, LAYOUT, config);
        for (int i = 0; i < q.entryCount(); i++) {
            assertEquals(q.index(i), d.index(i));
            assertEquals(q.value(i), d.value(i), Math.abs(q.value(i)) * 1e-3 + 1e-6);
        }
        assertArrayEquals(bytes, UpdateCodec.encode(d, ValueEncoding.FP16));
    }

    @Test
    void encodedSizeAndCompressionRatioMatchTheFormat() {
        ParameterLayout nano = ParameterLayout.gpt(ModelConfig.nano());
        DemoConfig config = DemoConfig.defaults();
        SparseUpdate q = new DemoCompressor(nano, config).compress(DemoFixtures.gaussian(nano.size(), 3, 1f));
        byte[] bytes = UpdateCodec.encode(q, ValueEncoding.SIGN_1BIT);
        assertEquals(UpdateCodec.encodedSize(q.blocking(), ValueEncoding.SIGN_1BIT), bytes.length);
        CompressionStats stats = UpdateCodec.stats(q.blocking(), bytes);
        assertEquals(4.0 * nano.size() / bytes.length, stats.ratio(), 1e-9);
        // Matrices: 64×64 blocks, k 32 → 64 B indices + 4 B signs + 4 B scale per 16 KiB of fp32 (~228×).
        // Vectors: 64-long blocks keep 32 of 64 → 72 B per 256 B (~3.6×). nano's 6,912 vector parameters cost about
        // as many bytes as its 0.9M matrix parameters, so nano lands near 149×.
        long expected = UpdateCodec.HEADER_BYTES;
        for (DemoBlocking.TensorBlocks t : q.blocking().tensors()) {
            expected += UpdateCodec.TENSOR_HEADER_BYTES + t.blockCount() * (64L + 4 + 4);
        }
        assertEquals(expected, bytes.length);
        assertTrue(stats.ratio() > 140 && stats.ratio() < 160, "ratio " + stats.ratio());
    }

    private static byte[] validSign() {
        return UpdateCodec.encode(update(DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT), 5), ValueEncoding.SIGN_1BIT);
    }

    private static byte[] validFp16() {
        return UpdateCodec.encode(update(DemoFixtures.tinyConfig(ValueEncoding.FP16), 6), ValueEncoding.FP16);
    }

    private static void assertRejected(byte[] data, DemoConfig config, String messagePart) {
        var e = assertThrows(MalformedUpdateException.class, () -> UpdateCodec.decode(data, LAYOUT, config));
        assertTrue(e.getMessage().contains(messagePart), "message '" + e.getMessage() + "' lacks '" + messagePart + "'");
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /// Offset of the first index of the first tensor: header + that tensor's rows/cols.
    private static final int FIRST_INDEX = UpdateCodec.HEADER_BYTES + UpdateCodec.TENSOR_HEADER_BYTES;

    @Test
    void rejectsTruncatedUpdate() {
        byte[] ok = validSign();
        assertRejected(Arrays.copyOf(ok, ok.length - 1), DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT), "truncated");
        assertRejected(Arrays.copyOf(ok, 10), DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT), "truncated");
        assertRejected(new byte[0], DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT), "truncated");
    }

    @Test
    void rejectsTrailingBytes() {
        byte[] ok = validSign();
        assertRejected(Arrays.copyOf(ok, ok.length + 3), DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT),
                "3 trailing bytes");
    }

    @Test
    void rejectsTopKOverTheCap() {
        byte[] b = validSign();
        le(b).putShort(10, (short) (DemoConfig.MAX_TOP_K + 1));
        assertRejected(b, DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT), "over the cap");
        byte[] c = validSign();
        le(c).putShort(10, (short) 37); // > 6² = 36
        assertRejected(c, DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT), "over the cap");
    }

    @Test
    void rejectsUpdateForAnotherLayoutOrConfig() {
        byte[] b = validSign();
        var other = ParameterLayout.gpt(new ModelConfig("other", 1, 8, 2, 16, 14));
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        var e = assertThrows(MalformedUpdateException.class, () -> UpdateCodec.decode(b, other, config));
        assertTrue(e.getMessage().contains("another layout"), e.getMessage());
        assertRejected(b, config.withTopK(4), "the run uses");
        assertRejected(b, config.withEncoding(ValueEncoding.FP16), "does not match");
    }

    @Test
    void rejectsIndexOutOfRangeAndUnorderedIndices() {
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        byte[] b = validSign();
        // first tensor wte [13, 8] → 1×4 blocks: index 4 is out of range
        le(b).putShort(FIRST_INDEX + 2 * 3, (short) 4);
        assertRejected(b, config, "out of range");
        byte[] c = validSign();
        le(c).putShort(FIRST_INDEX + 2, (short) 0); // second index equal to the first (0)
        assertRejected(c, config, "strictly increasing");
        byte[] d = validSign();
        le(d).putShort(FIRST_INDEX, (short) 0xFFFF);
        assertRejected(d, config, "out of range");
    }

    @Test
    void rejectsNaNAndOutOfRangeFp16Values() {
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.FP16);
        byte[] b = validFp16();
        int lastValue = b.length - 2; // last tensor's last fp16 value
        le(b).putShort(lastValue, (short) 0x7E00); // fp16 NaN
        assertRejected(b, config, "not finite");
        byte[] c = validFp16();
        le(c).putShort(lastValue, Float.floatToFloat16(1.5f));
        assertRejected(c, config, "outside [-1, 1]");
    }

    @Test
    void rejectsNonFiniteScale() {
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        byte[] b = validSign();
        var blocking = new DemoBlocking(LAYOUT, config);
        int firstScale = FIRST_INDEX + 2 * blocking.tensors().get(0).entryCount();
        le(b).putFloat(firstScale, Float.NaN);
        assertRejected(b, config, "scale");
        byte[] c = validSign();
        le(c).putFloat(firstScale, -1f);
        assertRejected(c, config, "scale");
    }

    @Test
    void rejectsHugeClaimedCounts() {
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        byte[] b = validSign();
        le(b).putInt(24, Integer.MAX_VALUE);
        assertRejected(b, config, "tensors");
        byte[] c = validSign();
        le(c).putInt(28, -1);
        assertRejected(c, config, "4294967295 entries");
        byte[] d = validSign();
        le(d).putInt(12, Integer.MAX_VALUE);
        assertRejected(d, config, "another layout");
        byte[] e = validSign();
        le(e).putInt(UpdateCodec.HEADER_BYTES, Integer.MAX_VALUE); // first tensor's rows
        assertRejected(e, config, "shape");
    }

    @Test
    void rejectsBadMagicVersionAndFlags() {
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        byte[] b = validSign();
        b[0] = 'X';
        assertRejected(b, config, "magic");
        byte[] c = validSign();
        le(c).putShort(4, (short) 9);
        assertRejected(c, config, "version 9");
        byte[] d = validSign();
        d[7] = 1;
        assertRejected(d, config, "flags");
        byte[] e = validSign();
        e[6] = 7;
        assertRejected(e, config, "encoding id 7");
        assertRejected(null, config, "missing");
    }

    @Test
    void rejectsNonZeroSignPadding() {
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        var blocking = new DemoBlocking(LAYOUT, config);
        // walk the format to the end of the first tensor whose sign bits leave padding
        int pos = UpdateCodec.HEADER_BYTES;
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            pos += UpdateCodec.TENSOR_HEADER_BYTES + 2 * t.entryCount() + 4 * t.blockCount() + (t.entryCount() + 7) / 8;
            if (t.entryCount() % 8 != 0) {
                byte[] b = validSign();
                b[pos - 1] |= (byte) 0x80;
                assertRejected(b, config, "padding");
                return;
            }
        }
        fail("the tiny layout should have a tensor whose sign bits leave padding");
    }

    @Test
    void randomCorruptionNeverThrowsAnythingButMalformedUpdate() {
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.FP16);
        byte[] ok = validFp16();
        var r = new SplittableRandom(42);
        for (int trial = 0; trial < 3000; trial++) {
            byte[] b = ok.clone();
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips; f++) {
                int pos = trial % 3 == 0 ? r.nextInt(Math.min(64, b.length)) : r.nextInt(b.length);
                b[pos] = (byte) r.nextInt(256);
            }
            if (trial % 5 == 0) {
                b = Arrays.copyOf(b, r.nextInt(b.length + 16));
            }
            try {
                UpdateCodec.decode(b, LAYOUT, config);
            } catch (MalformedUpdateException expected) {
                // fine: bad input named
            } catch (RuntimeException e) {
                fail("trial " + trial + " threw " + e);
            }
        }
    }
}
