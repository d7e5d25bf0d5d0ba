package dev.hearth.protocol.framing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.protocol.SampleMessages;
import dev.hearth.protocol.wire.Envelope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/// Fuzzes the frame and envelope decoders.
///
/// [#mutatedFramesAreDecodedOrRejectedWithTypedErrors] always runs: a seeded mutation loop over encoded samples,
/// bounded to [#TIME_BUDGET_MILLIS] so the suite stays fast. The coverage-guided Jazzer target on the same oracle
/// is [DecoderJazzerTest] (tagged slow: the Jazzer agent alone costs ~25 s of start-up).
class DecoderFuzzTest {
    /// 3 s: tens of thousands of mutations, a fraction of the protocol suite's time budget.
    private static final long TIME_BUDGET_MILLIS = 3_000;
    /// Upper bound on iterations so a fast machine does not run longer than needed.
    private static final int MAX_ITERATIONS = 200_000;
    /// 64 KiB: mutated inputs stay small; the big-frame limits are covered by FramingTest.
    private static final int MAX_SAMPLE_BYTES = 64 * 1024;
    private static final long SEED = 0x4EA27L;

    private static List<byte[]> seeds() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        for (Envelope envelope : SampleMessages.all().values()) {
            if (envelope.getSerializedSize() > MAX_SAMPLE_BYTES) {
                continue;
            }
            ByteBuf buf = Unpooled.buffer();
            EnvelopeEncoder.encode(envelope, buf);
            seeds.add(ByteBufUtil.getBytes(buf));
        }
        return seeds;
    }

    private static byte[] mutate(byte[] input, SplittableRandom random) {
        byte[] out = input.clone();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations && out.length > 0; m++) {
            switch (random.nextInt(7)) {
                case 0 -> out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
                case 1 -> out[random.nextInt(out.length)] = (byte) random.nextInt(256);
                case 2 -> out = java.util.Arrays.copyOf(out, random.nextInt(out.length + 1)); // truncate
                case 3 -> { // append random bytes
                    byte[] extra = new byte[1 + random.nextInt(16)];
                    random.nextBytes(extra);
                    byte[] joined = java.util.Arrays.copyOf(out, out.length + extra.length);
                    System.arraycopy(extra, 0, joined, out.length, extra.length);
                    out = joined;
                }
                case 4 -> { // rewrite the length field
                    if (out.length >= 4) {
                        int length = random.nextBoolean() ? random.nextInt() : random.nextInt(out.length + 8);
                        out[0] = (byte) (length >>> 24);
                        out[1] = (byte) (length >>> 16);
                        out[2] = (byte) (length >>> 8);
                        out[3] = (byte) length;
                    }
                }
                case 5 -> { // rewrite the kind tag
                    if (out.length >= 5) {
                        out[4] = (byte) random.nextInt(24);
                    }
                }
                default -> { // delete a range
                    int from = random.nextInt(out.length);
                    int to = from + random.nextInt(out.length - from + 1);
                    byte[] cut = new byte[out.length - (to - from)];
                    System.arraycopy(out, 0, cut, 0, from);
                    System.arraycopy(out, to, cut, from, out.length - to);
                    out = cut;
                }
            }
        }
        return out;
    }

    @Test
    void mutatedFramesAreDecodedOrRejectedWithTypedErrors() throws IOException {
        List<byte[]> seeds = seeds();
        SplittableRandom random = new SplittableRandom(SEED);
        long deadline = System.nanoTime() + TIME_BUDGET_MILLIS * 1_000_000;
        int iterations = 0;
        int decoded = 0;
        while (iterations < MAX_ITERATIONS && System.nanoTime() < deadline) {
            byte[] input = mutate(seeds.get(random.nextInt(seeds.size())), random);
            decoded += DecoderFuzz.check(input);
            iterations++;
        }
        assertTrue(iterations > 1_000, "fuzzed only " + iterations + " inputs");
        assertTrue(decoded > 0, "some mutations (e.g. of payload bytes) should still decode");
    }

    @Test
    void unmutatedSamplesDecodeExactly() throws IOException {
        for (byte[] seed : seeds()) {
            assertTrue(DecoderFuzz.check(seed) == 1);
        }
    }
}
