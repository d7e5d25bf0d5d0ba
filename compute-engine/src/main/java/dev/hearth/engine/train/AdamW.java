package dev.hearth.engine.train;

import dev.hearth.engine.model.ParameterLayout;

/// AdamW (Loshchilov & Hutter 2019) over the flat parameter vector, with PyTorch's `torch.optim.AdamW`
/// update rule so the benchmark's two sides step identically. Weight decay is decoupled and, as in
/// nanoGPT, applied only to matrices and embeddings (2-D tensors), never to biases or layer norms.
/// The local baseline optimizer (the DeMo path replaces it in a real run).
public final class AdamW {

    /// Hyperparameters; `beta1`, `beta2` in (0, 1), `eps` > 0 guards the division.
    public record Settings(float lr, float beta1, float beta2, float eps, float weightDecay) {
        public Settings {
            if (!(lr >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)
                    || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("invalid AdamW settings: " + this);
            }
        }

        /// nanoGPT's small-model defaults: lr 1e-3, betas (0.9, 0.99), eps 1e-8, weight decay 0.1.
        public static Settings defaults() {
            return new Settings(1e-3f, 0.9f, 0.99f, 1e-8f, 0.1f);
        }
    }

    private final Settings settings;
    private final float[] m;
    private final float[] v;
    private final boolean[] decays; // per tensor
    private final int[] bounds;     // tensor start offsets, plus the end
    private long step;

    public AdamW(ParameterLayout layout, Settings settings) {
        this.settings = settings;
        this.m = new float[layout.size()];
        this.v = new float[layout.size()];
        var tensors = layout.tensors();
        this.decays = new boolean[tensors.size()];
        this.bounds = new int[tensors.size() + 1];
        for (int i = 0; i < tensors.size(); i++) {
            decays[i] = tensors.get(i).isMatrix();
            bounds[i] = tensors.get(i).offset();
        }
        bounds[tensors.size()] = layout.size();
    }

    /// One step at learning rate `lr` (pass a schedule's value; `settings().lr()` otherwise).
    public void step(float[] params, float[] grad, float lr) {
        if (params.length != m.length || grad.length != m.length) {
            throw new IllegalArgumentException("AdamW over " + m.length + " parameters got params " + params.length
                    + ", grad " + grad.length);
        }
        step++;
        float b1 = settings.beta1();
        float b2 = settings.beta2();
        float bc1 = (float) (1 - Math.pow(b1, step));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(b2, step));
        float stepSize = lr / bc1;
        float eps = settings.eps();
        for (int t = 0; t < decays.length; t++) {
            float decay = decays[t] ? 1f - lr * settings.weightDecay() : 1f;
            for (int i = bounds[t]; i < bounds[t + 1]; i++) {
                float g = grad[i];
                float mi = b1 * m[i] + (1 - b1) * g;
                float vi = b2 * v[i] + (1 - b2) * g * g;
                m[i] = mi;
                v[i] = vi;
                // PyTorch: p ← p·(1 − lr·wd) − lr/bc1 · m / (√v/√bc2 + eps)
                params[i] = params[i] * decay - stepSize * mi / ((float) Math.sqrt(vi) / bc2Sqrt + eps);
            }
        }
    }

    public Settings settings() {
        return settings;
    }

    public long steps() {
        return step;
    }

    /// First moment (live array: checkpoints save it).
    public float[] firstMoment() {
        return m;
    }

    /// Second moment (live array: checkpoints save it).
    public float[] secondMoment() {
        return v;
    }

    /// Restores state saved from {@link #firstMoment()}, {@link #secondMoment()}, {@link #steps()}.
    public void restore(float[] firstMoment, float[] secondMoment, long steps) {
        if (firstMoment.length != m.length || secondMoment.length != v.length || steps < 0) {
            throw new IllegalArgumentException("AdamW state does not match " + m.length + " parameters");
        }
        System.arraycopy(firstMoment, 0, m, 0, m.length);
        System.arraycopy(secondMoment, 0, v, 0, v.length);
        this.step = steps;
    }
}
