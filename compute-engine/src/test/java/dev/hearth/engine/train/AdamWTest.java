package dev.hearth.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import org.junit.jupiter.api.Test;

class AdamWTest {

    private static final ModelConfig TINY = new ModelConfig("tiny", 1, 4, 1, 4, 8);

    @Test
    void firstStepMovesEveryParameterByLrAgainstTheGradientSign() {
        ParameterLayout layout = ParameterLayout.gpt(TINY);
        var opt = new AdamW(layout, new AdamW.Settings(0.01f, 0.9f, 0.99f, 1e-8f, 0f));
        float[] p = new float[layout.size()];
        float[] g = new float[layout.size()];
        for (int i = 0; i < g.length; i++) {
            g[i] = (i % 3) - 1; // -1, 0, 1
        }
        opt.step(p, g, 0.01f);
        for (int i = 0; i < p.length; i++) {
            // bias-corrected m/√v = sign(g) on step 1
            assertEquals(-0.01f * Math.signum(g[i]), p[i], 1e-6f);
        }
    }

    @Test
    void weightDecayShrinksMatricesButNotBiasesOrNorms() {
        ParameterLayout layout = ParameterLayout.gpt(TINY);
        var opt = new AdamW(layout, new AdamW.Settings(0.1f, 0.9f, 0.99f, 1e-8f, 0.5f));
        float[] p = new float[layout.size()];
        java.util.Arrays.fill(p, 1f);
        opt.step(p, new float[p.length], 0.1f);
        assertEquals(0.95f, p[layout.tensor("h.0.mlp.fc.w").offset()], 1e-6f);
        assertEquals(0.95f, p[layout.tensor("wte").offset()], 1e-6f);
        assertEquals(1f, p[layout.tensor("h.0.mlp.fc.b").offset()]);
        assertEquals(1f, p[layout.tensor("lnf.w").offset()]);
    }

    @Test
    void rejectsMismatchedVectors() {
        var opt = new AdamW(ParameterLayout.gpt(TINY), AdamW.Settings.defaults());
        assertThrows(IllegalArgumentException.class, () -> opt.step(new float[3], new float[3], 0.1f));
    }

    @Test
    void clipScalesToMaxNormAndReportsOriginalNorm() {
        float[] g = {3f, 4f};
        assertEquals(5.0, GradientClip.clip(g, 1.0), 1e-9);
        assertEquals(1.0, GradientClip.norm(g), 1e-5);
        float[] small = {0.3f, 0.4f};
        GradientClip.clip(small, 1.0);
        assertEquals(0.3f, small[0]);
        float[] bad = {Float.NaN, 1f};
        assertTrue(Double.isNaN(GradientClip.clip(bad, 1.0)));
        assertEquals(1f, bad[1]);
    }
}
