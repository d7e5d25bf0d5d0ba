package dev.hearth.engine.model;

import java.util.List;
import java.util.Locale;

/// Shape of the decoder-only transformer (GPT-2 layout, nanoGPT names).
///
/// @param name     config name used on the wire and in checkpoints (`nano`, `small`, `gpt2-small`)
/// @param layers   number of transformer blocks
/// @param dModel   embedding width C; must be divisible by `heads`
/// @param heads    attention heads; head size is `dModel / heads`
/// @param context  maximum sequence length T (tokens per training window)
/// @param vocab    vocabulary size; 256 because Hearth is byte-level (no tokenizer to ship or agree on)
public record ModelConfig(String name, int layers, int dModel, int heads, int context, int vocab) {

    /// Byte-level vocabulary: every byte value is a token.
    public static final int BYTE_VOCAB = 256;

    /// The name of {@link #gpt2Small()}.
    public static final String GPT2_SMALL = "gpt2-small";

    /// Every config name {@link #byName} knows, smallest first.
    public static final List<String> NAMES = List.of("nano", "small", GPT2_SMALL);

    public ModelConfig {
        if (layers < 1 || dModel < 1 || heads < 1 || context < 1 || vocab < 1) {
            throw new IllegalArgumentException("model config " + name + ": every dimension must be positive");
        }
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("model config " + name + ": dModel " + dModel
                    + " is not divisible by heads " + heads);
        }
    }

    /// 4 layers, d 128, 4 heads, context 128 (~0.9M parameters): the embedded run and the tests.
    public static ModelConfig nano() {
        return new ModelConfig("nano", 4, 128, 4, 128, BYTE_VOCAB);
    }

    /// 6 layers, d 384, 6 heads, context 256 (~10.9M parameters): a run worth a gaming GPU.
    public static ModelConfig small() {
        return new ModelConfig("small", 6, 384, 6, 256, BYTE_VOCAB);
    }

    /// GPT-2 small's shape — 12 layers, d 768, 12 heads, context 1024 — over Hearth's byte vocabulary:
    /// 86,235,648 parameters (`ParameterLayout.gpt`; GPT-2's own 124M is mostly its 50,257-token embedding, which
    /// a byte vocabulary shrinks to 256 rows, and the untied head adds 256 × 768 back). A model worth a GPU:
    /// ~0.6 GFLOP per token of training, so a CPU round is minutes per window.
    public static ModelConfig gpt2Small() {
        return new ModelConfig(GPT2_SMALL, 12, 768, 12, 1024, BYTE_VOCAB);
    }

    /// The config with this name, or an exception naming the known ones.
    public static ModelConfig byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "nano" -> nano();
            case "small" -> small();
            case GPT2_SMALL -> gpt2Small();
            default -> throw new IllegalArgumentException("unknown model '" + name + "' (known: "
                    + String.join(", ", NAMES) + ")");
        };
    }

    public int headSize() {
        return dModel / heads;
    }
}
