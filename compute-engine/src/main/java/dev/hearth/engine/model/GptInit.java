package dev.hearth.engine.model;

import java.util.Random;

/// GPT-2 initialisation (Radford et al. 2019; nanoGPT `_init_weights`): every matrix and embedding
/// drawn from N(0, 0.02²), the two residual projections per block (`attn.proj.w`, `mlp.proj.w`) scaled by
/// 1/√(2·layers) so the residual stream's variance does not grow with depth, biases 0, layer-norm weights 1.
public final class GptInit {

    /// GPT-2's weight standard deviation.
    public static final double STD = 0.02;

    private GptInit() {
    }

    /// Deterministic for a given config and seed on every JVM (`java.util.Random` is specified bit for bit).
    public static float[] init(ModelConfig config, long seed) {
        ParameterLayout layout = ParameterLayout.gpt(config);
        float[] p = new float[layout.size()];
        Random rnd = new Random(seed);
        double residualStd = STD / Math.sqrt(2.0 * config.layers());
        for (ParameterLayout.Tensor t : layout.tensors()) {
            String n = t.name();
            int from = t.offset();
            int to = from + t.size();
            if (n.endsWith(".b")) {
                continue; // zeros
            }
            if (n.startsWith("ln") || n.contains(".ln")) {
                java.util.Arrays.fill(p, from, to, 1f);
                continue;
            }
            double std = n.endsWith("attn.proj.w") || n.endsWith("mlp.proj.w") ? residualStd : STD;
            for (int i = from; i < to; i++) {
                p[i] = (float) (rnd.nextGaussian() * std);
            }
        }
        return p;
    }
}
