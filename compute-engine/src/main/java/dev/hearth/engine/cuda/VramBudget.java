package dev.hearth.engine.cuda;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import java.util.OptionalInt;

/// How much device memory training a model needs at a micro-batch, and the largest micro-batch that fits a card.
///
/// The estimate mirrors what the CPU engine allocates (`GptCpuBackend`'s buffers, which the CUDA backend keeps on
/// the device for the whole local round):
/// - **state**, 5 fp32 copies of the P parameters: θ, its gradient (accumulated over micro-batches in place, as
///   llm.c does), AdamW's two moments, and θ at the start of the round (the pseudo-gradient is θ_start − θ_end);
/// - **activations** for `B` windows of `T` tokens (`n = B·T`, `C` = d_model, `nh` heads, `V` vocabulary): per
///   layer 16·n·C floats (ln1, qkv ×3, attention output, two residuals, ln2, the MLP's 4C hidden before and after
///   GELU), 4·n for the two layer norms' mean and 1/σ, and B·nh·T² for the attention weights; then the final
///   layer norm (n·C + 2n), the logits (n·V), the backward pass's scratch (10·n·C: d-residual, d-ln,
///   d-attention-output, d-qkv ×3, d-MLP hidden ×4) and the attention weights' gradient (B·nh·T²: the CPU engine
///   keeps one T×T per thread, the GPU works on every (window, head) at once); the inputs and targets (2n ints);
/// - a fixed {@link #WORKSPACE_BYTES}.
///
/// Free memory should come from `cuMemGetInfo` *after* the context exists, since creating one costs a few
/// hundred MiB of the card's memory that this estimate does not count.
public final class VramBudget {

    /// Left free for the owner's desktop while Hearth trains: `cuMemGetInfo` counts what the desktop uses now,
    /// but a browser playing video or a second monitor adds a few hundred MiB later, and then either its
    /// allocation or Hearth's next one fails. 512 MiB is ~6 % of an 8 GiB card.
    public static final long DESKTOP_MARGIN_BYTES = 512L << 20;
    /// Loaded PTX modules, the pinned staging buffer's device side, reduction scratch and the allocator's
    /// rounding of each buffer to its 2 MiB pages (~40 buffers): 64 MiB covers them.
    public static final long WORKSPACE_BYTES = 64L << 20;
    /// fp32 copies of the parameters kept on the card: θ, gradient, AdamW m and v, θ at the round's start.
    static final int STATE_COPIES = 5;

    private VramBudget() {
    }

    /// Parameters, gradients, AdamW moments and the round's start copy, in bytes.
    public static long stateBytes(ModelConfig model) {
        return (long) STATE_COPIES * ParameterLayout.gpt(model).size() * Float.BYTES;
    }

    /// Activations, backward scratch and tokens for `microBatch` windows of the model's full context, in bytes.
    public static long activationBytes(ModelConfig model, int microBatch) {
        if (microBatch < 1) {
            throw new IllegalArgumentException("micro-batch " + microBatch + "; must be at least 1");
        }
        long b = microBatch;
        long t = model.context();
        long c = model.dModel();
        long n = b * t;
        long attention = b * model.heads() * t * t;                  // (B, nh, T, T)
        long perLayer = 16 * n * c + 4 * n + attention;
        long floats = n * c                                           // token + position embedding
                + model.layers() * perLayer
                + n * c + 2 * n                                       // final layer norm
                + n * model.vocab()                                   // logits / probabilities
                + 10 * n * c                                          // backward scratch
                + attention;                                          // d(attention weights)
        long ints = 2 * n;                                            // inputs, targets
        return (floats + ints) * 4;
    }

    /// Everything training needs on the card at this micro-batch, in bytes.
    public static long bytes(ModelConfig model, int microBatch) {
        return stateBytes(model) + activationBytes(model, microBatch) + WORKSPACE_BYTES;
    }

    /// The largest micro-batch in `1..maxMicroBatch` whose {@link #bytes} fit under `freeBytes` less
    /// {@link #DESKTOP_MARGIN_BYTES}; empty when not even one window fits.
    public static OptionalInt largestMicroBatch(ModelConfig model, long freeBytes, int maxMicroBatch) {
        if (maxMicroBatch < 1) {
            throw new IllegalArgumentException("largest micro-batch asked " + maxMicroBatch + "; must be at least 1");
        }
        long room = freeBytes - DESKTOP_MARGIN_BYTES;
        if (bytes(model, 1) > room) {
            return OptionalInt.empty();
        }
        int lo = 1; // fits
        int hi = maxMicroBatch;
        while (lo < hi) { // bytes() grows with the micro-batch, so bisect
            int mid = lo + (hi - lo + 1) / 2;
            if (bytes(model, mid) <= room) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return OptionalInt.of(lo);
    }
}
