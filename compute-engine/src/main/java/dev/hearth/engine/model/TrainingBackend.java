package dev.hearth.engine.model;

import dev.hearth.engine.data.Batch;

/// The narrow interface between "the model" and everything else (node, coordinator, benchmarks):
/// given the flat parameters and a batch, the mean cross-entropy and its gradient. A second backend
/// (another library, a GPU kernel set) implements this and nothing above it changes.
public interface TrainingBackend extends AutoCloseable {

    ModelConfig config();

    ParameterLayout layout();

    /// Which backend and device this is, and why it was chosen (shown to the owner).
    String description();

    /// Mean cross-entropy over every position of the batch; writes d(loss)/d(params) into `gradOut`
    /// (length `layout().size()`, overwritten, not accumulated).
    float lossAndGradient(float[] params, Batch batch, float[] gradOut);

    /// Mean cross-entropy only (validation, spot checks).
    float loss(float[] params, Batch batch);

    /// The model's next-token distribution after `context` (1..T tokens): 256 probabilities summing to 1.
    /// Used to sample a few lines of text for the run's dashboard.
    float[] nextTokenProbabilities(float[] params, int[] context);

    @Override
    void close();
}
