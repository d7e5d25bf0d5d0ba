package dev.hearth.engine.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ParameterLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeanStepTest {

    private static final ParameterLayout LAYOUT = DemoFixtures.tinyLayout();
    private static final DemoConfig CONFIG = DemoFixtures.tinyConfig(ValueEncoding.FP16);
    private static final DemoBlocking BLOCKING = new DemoBlocking(LAYOUT, CONFIG);

    private static List<SparseUpdate> updates(DemoConfig config, int n, long seed) {
        var list = new ArrayList<SparseUpdate>();
        for (int u = 0; u < n; u++) {
            list.add(new DemoCompressor(LAYOUT, config).compress(DemoFixtures.gaussian(LAYOUT.size(), seed + u, 1f + u)));
        }
        return list;
    }

    @Test
    void stepIsTheTokenWeightedMeanOverAllUpdatesNotOnlyTheSenders() throws Exception {
        List<SparseUpdate> ups = updates(CONFIG, 3, 7);
        long[] tokens = {1024, 2048, 1024};
        float[] params = DemoFixtures.gaussian(LAYOUT.size(), 99, 0.02f);
        float[] stepped = params.clone();
        MeanStep.apply(BLOCKING, stepped, MeanStep.aggregate(BLOCKING, ups, tokens, RobustMode.NONE), 0.5f, 0f);
        // expected: θ − lr · Σ_u (t_u / T) · IDCT(q_u), each update's own direction from the aggregator alone
        float[] expected = params.clone();
        for (int u = 0; u < ups.size(); u++) {
            float[] d = DemoAggregator.aggregate(LAYOUT, CONFIG, List.of(ups.get(u)), new long[] {1}, RobustMode.NONE);
            float share = tokens[u] / 4096f;
            for (int i = 0; i < d.length; i++) expected[i] -= 0.5f * share * d[i];
        }
        float tol = 1e-6f * (1 + DemoFixtures.maxAbs(expected));
        assertTrue(DemoFixtures.maxAbsDiff(expected, stepped) < tol, "diff " + DemoFixtures.maxAbsDiff(expected, stepped));
    }

    @Test
    void applyingTheSameBytesTwiceGivesBitIdenticalParameters() throws Exception {
        byte[] step = MeanStep.aggregate(BLOCKING, updates(CONFIG, 4, 3), new long[] {1, 2, 3, 4}, RobustMode.NORM_CLIP);
        float[] a = DemoFixtures.gaussian(LAYOUT.size(), 5, 0.02f);
        float[] b = a.clone();
        MeanStep.apply(BLOCKING, a, step, 1.5f, 0.1f);
        MeanStep.apply(BLOCKING, b, step, 1.5f, 0.1f);
        assertArrayEquals(a, b);
    }

    @Test
    void weightDecayShrinksOnlyMatricesAndTheEmptyStepMovesNothingElse() throws Exception {
        float[] params = DemoFixtures.gaussian(LAYOUT.size(), 6, 0.02f);
        float[] stepped = params.clone();
        MeanStep.apply(BLOCKING, stepped, MeanStep.empty(BLOCKING), 0.5f, 0.1f);
        for (ParameterLayout.Tensor t : LAYOUT.tensors()) {
            float decay = t.isMatrix() ? 0.5f * 0.1f : 0f;
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                assertEquals(params[i] - decay * params[i], stepped[i], t.name());
            }
        }
    }

    @Test
    void aBlockWithMoreCoefficientsThanItsCapKeepsTheLargest() throws Exception {
        var layout = ParameterLayout.gpt(new dev.hearth.engine.model.ModelConfig("wide", 1, 32, 2, 16, 13));
        DemoBlocking blocking = new DemoBlocking(layout, new DemoConfig(0.9f, 32, 8, ValueEncoding.FP16));
        DemoBlocking.Tile tile = blocking.tiles().stream().filter(t -> t.tensor().blockElems() == 1024).findFirst()
                .orElseThrow();
        int cap = MeanStep.blockCap(1024);
        assertEquals(128, cap);
        float[] coef = new float[blocking.paramCount()];
        for (int k = 0; k < 200; k++) coef[tile.packedPosition(0, k)] = k + 1; // 200 distinct magnitudes
        float[] decoded = MeanStep.decode(blocking, MeanStep.encode(blocking, coef));
        for (int k = 0; k < 200; k++) {
            float want = k >= 200 - cap ? k + 1 : 0f;
            assertEquals(want, decoded[tile.packedPosition(0, k)], "coefficient " + k);
        }
        assertTrue(MeanStep.encode(blocking, coef).length <= MeanStep.maxEncodedBytes(blocking));
    }

    @Test
    void everyNodeSendingEveryCoefficientStillFitsTheBound() {
        float[] dense = DemoFixtures.gaussian(BLOCKING.paramCount(), 8, 1f);
        assertTrue(MeanStep.encode(BLOCKING, dense).length <= MeanStep.maxEncodedBytes(BLOCKING));
    }

    @Test
    void aTrimmedMeanIsRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> MeanStep.aggregate(BLOCKING, updates(CONFIG, 3, 1),
                new long[] {1, 1, 1}, RobustMode.trimmedMean(0.25)));
        assertTrue(e.getMessage().contains("trimmed"), e.getMessage());
    }

    /// A valid step's bytes with block 0 rewritten by `edit`.
    private static byte[] withFirstBlock(int count, int[] indices, float[] values) {
        byte[] valid = MeanStep.empty(BLOCKING);
        ByteBuffer b = ByteBuffer.allocate(valid.length + count * 6).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MeanStep.FORMAT).putInt(count);
        for (int k : indices) b.putShort((short) k);
        for (float v : values) b.putFloat(v);
        b.put(valid, 5, valid.length - 5); // the other blocks, empty
        return b.array();
    }

    @Test
    void malformedStepsAreRefusedWithTheirReasonAndChangeNothing() {
        float[] params = DemoFixtures.gaussian(LAYOUT.size(), 2, 0.02f);
        float[] before = params.clone();
        int elems = BLOCKING.tiles().getFirst().tensor().blockElems();
        byte[] good = withFirstBlock(2, new int[] {1, 3}, new float[] {0.5f, -0.25f});
        byte[] badFormat = good.clone();
        badFormat[0] = 9;
        List<byte[]> bad = List.of(
                new byte[0],
                badFormat,
                withFirstBlock(2, new int[] {3, 1}, new float[] {1, 1}),
                withFirstBlock(2, new int[] {1, 1}, new float[] {1, 1}),
                withFirstBlock(1, new int[] {elems}, new float[] {1}),
                withFirstBlock(1, new int[] {0}, new float[] {Float.NaN}),
                withFirstBlock(1, new int[] {0}, new float[] {Float.POSITIVE_INFINITY}),
                withFirstBlock(elems + 1, new int[0], new float[0]),
                Arrays.copyOf(good, good.length - 1),
                Arrays.copyOf(good, good.length + 1));
        List<String> reasons = List.of("format", "format", "not above", "not above", "outside", "NaN", "Infinity",
                "at most", "ends", "after the last block");
        for (int i = 0; i < bad.size(); i++) {
            byte[] step = bad.get(i);
            var e = assertThrows(MalformedUpdateException.class, () -> MeanStep.apply(BLOCKING, params, step, 1f, 0f),
                    "case " + i);
            assertTrue(e.getMessage().contains(reasons.get(i)), "case " + i + ": " + e.getMessage());
            assertArrayEquals(before, params, "case " + i + " changed the parameters");
        }
        assertDoesNotThrow(good);
    }

    private static void assertDoesNotThrow(byte[] step) {
        try {
            MeanStep.decode(BLOCKING, step);
        } catch (MalformedUpdateException e) {
            throw new AssertionError("a valid step was refused: " + e.getMessage(), e);
        }
    }
}
