package dev.hearth.engine.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ParameterLayout;
import org.junit.jupiter.api.Test;

class SignStepTest {

    @Test
    void ternaryPackingRoundTripsSigns() throws Exception {
        float[] d = {0.5f, -2f, 0f, -0f, 3f, -1e-30f, 0f};
        byte[] packed = SignStep.ternary(d);
        assertEquals(2, packed.length);
        assertArrayEquals(new byte[] {1, -1, 0, 0, 1, -1, 0}, SignStep.unpack(packed, d.length));
        float[] big = DemoFixtures.gaussian(1001, 8, 1f);
        byte[] s = SignStep.unpack(SignStep.ternary(big), big.length);
        for (int i = 0; i < big.length; i++) {
            assertEquals((int) Math.signum(big[i]), s[i]);
        }
    }

    @Test
    void applyStepsBySignAndDecaysOnlyMatrices() throws Exception {
        ParameterLayout layout = DemoFixtures.tinyLayout();
        float[] params = new float[layout.size()];
        java.util.Arrays.fill(params, 2f);
        float[] direction = new float[layout.size()];
        int w = layout.tensor("h.0.mlp.fc.w").offset();
        int bias = layout.tensor("h.0.mlp.fc.b").offset();
        direction[w] = 5f;
        direction[w + 1] = -0.1f;
        direction[bias] = -3f;
        SignStep.apply(layout, params, SignStep.ternary(direction), 0.1f, 0.5f);
        float decayed = 2f - 0.1f * 0.5f * 2f; // 1.9
        assertEquals(decayed - 0.1f, params[w], 1e-7f);
        assertEquals(decayed + 0.1f, params[w + 1], 1e-7f);
        assertEquals(decayed, params[w + 2], 1e-7f);
        assertEquals(2f + 0.1f, params[bias], 1e-7f); // 1-D: no decay
        assertEquals(2f, params[bias + 1], 0f);
    }

    @Test
    void rejectsPackedVectorOfWrongLengthOrInvalidCode() {
        ParameterLayout layout = DemoFixtures.tinyLayout();
        float[] params = new float[layout.size()];
        int n = SignStep.packedLength(layout.size());
        var e1 = assertThrows(MalformedUpdateException.class,
                () -> SignStep.apply(layout, params, new byte[n - 1], 0.1f, 0f));
        assertTrue(e1.getMessage().contains("bytes"), e1.getMessage());
        byte[] bad = new byte[n];
        bad[3] = (byte) 0b0011_0000;
        var e2 = assertThrows(MalformedUpdateException.class, () -> SignStep.apply(layout, params, bad, 0.1f, 0f));
        assertTrue(e2.getMessage().contains("parameter 14"), e2.getMessage());
        var e3 = assertThrows(MalformedUpdateException.class, () -> SignStep.unpack(new byte[] {(byte) 0b0100_0000}, 3));
        assertTrue(e3.getMessage().contains("padding"), e3.getMessage());
        assertArrayEquals(new float[layout.size()], params); // untouched by the rejected vectors
    }

    @Test
    void applyAloneLeavesParamsAndMovesTheCopyAgainstTheUpdate() {
        ParameterLayout layout = DemoFixtures.tinyLayout();
        DemoConfig config = DemoFixtures.tinyConfig(ValueEncoding.SIGN_1BIT);
        float[] g = DemoFixtures.gaussian(layout.size(), 12, 1f);
        SparseUpdate q = new DemoCompressor(layout, config).compress(g);
        float[] params = DemoFixtures.gaussian(layout.size(), 13, 1f);
        float[] before = params.clone();
        float[] after = new SignStep(0).applyAlone(new DemoBlocking(layout, config), params, q, 0.01f);
        assertArrayEquals(before, params);
        assertNotEquals(0f, DemoFixtures.maxAbsDiff(before, after));
        // the step goes against the gradient's direction: <after − before, g> < 0
        double dot = 0;
        for (int i = 0; i < g.length; i++) {
            dot += (after[i] - before[i]) * g[i];
        }
        assertTrue(dot < 0, "step · gradient = " + dot);
    }

    @Test
    void configRejectsOutOfRangeSettingsWithClearMessages() {
        var e1 = assertThrows(IllegalArgumentException.class,
                () -> new DemoConfig(1f, 64, 32, ValueEncoding.SIGN_1BIT));
        assertTrue(e1.getMessage().contains("beta"), e1.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> new DemoConfig(0.9f, 300, 32, ValueEncoding.SIGN_1BIT));
        assertTrue(e2.getMessage().contains("blockSize"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> new DemoConfig(0.9f, 4, 17, ValueEncoding.SIGN_1BIT));
        assertTrue(e3.getMessage().contains("topK"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class, () -> new DemoConfig(0.9f, 64, 32, null));
        assertTrue(e4.getMessage().contains("encoding"), e4.getMessage());
    }
}
