package dev.hearth.engine.train;

import dev.hearth.engine.data.Batch;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;

/// One model copy trained through a local round, kept where its backend computes: host arrays for the CPU
/// ({@link HostLocalTrainer}), device memory for CUDA, where the parameters, the accumulated gradient, the inner
/// AdamW's moments and every activation stay on the device for all inner steps of the round.
///
/// The round's algorithm (the node's trainer) drives it and is written once, above this interface: θ goes in once
/// per round ({@link #load}), and one vector comes out once per round — the accumulated gradient (sign outer
/// step, no local steps) or the pseudo-gradient `θ_start − θ_local` (mean outer step) — for DeMo compression on
/// the host. Nothing above this interface knows which backend it runs on.
///
/// Not thread-safe: one instance per trainer.
public interface LocalTrainer extends AutoCloseable {

    ModelConfig config();

    ParameterLayout layout();

    /// Which backend and device this is, and why it was chosen (shown to the owner).
    String description();

    /// Makes `params` (length `layout().size()`) both the round's start θ and the working copy.
    void load(float[] params);

    /// Zeroes the accumulated gradient.
    void zeroGradient();

    /// Forward and backward of `batch` at the working copy; adds `weight ×` the batch's mean gradient to the
    /// accumulated gradient and returns the batch's mean cross-entropy.
    float accumulateGradient(Batch batch, float weight);

    /// Copies the accumulated gradient into `out` (length `layout().size()`).
    void readGradient(float[] out);

    /// One inner AdamW step at learning rate `lr` on the working copy with the accumulated gradient
    /// (PyTorch's `torch.optim.AdamW` rule, as {@link AdamW}: decay on matrices and embeddings only).
    void adamwStep(float lr);

    /// Writes the pseudo-gradient `θ_start − θ_working` into `out` (length `layout().size()`).
    void readPseudoGradient(float[] out);

    /// The inner AdamW's state, copied out for saving.
    AdamWState optimizerState();

    /// Restores the inner AdamW's state saved from {@link #optimizerState()}.
    void restoreOptimizerState(AdamWState state);

    /// AdamW's first and second moments and its step count.
    record AdamWState(float[] m, float[] v, long steps) {
        public AdamWState {
            if (m.length != v.length || steps < 0) {
                throw new IllegalArgumentException("AdamW state: moments of " + m.length + " and " + v.length
                        + " values, " + steps + " steps");
            }
        }
    }

    @Override
    void close();
}
