package dev.hearth.engine.data;

/// A training batch of byte tokens: `size` windows of `context` tokens, inputs and next-token targets,
/// both row-major `[size, context]`.
public record Batch(int size, int context, int[] inputs, int[] targets) {
    public Batch {
        if (inputs.length != size * context || targets.length != size * context) {
            throw new IllegalArgumentException("batch arrays must hold size*context = " + size * context + " tokens");
        }
    }

    /// Number of predicted tokens: the weight of this batch in a token-weighted mean.
    public long tokens() {
        return (long) size * context;
    }
}
