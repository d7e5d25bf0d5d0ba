package dev.hearth.engine.train;

/// Global L2-norm gradient clipping (`torch.nn.utils.clip_grad_norm_` semantics).
public final class GradientClip {

    private GradientClip() {
    }

    /// The L2 norm of `grad`, accumulated in double so 10M squares do not lose precision.
    public static double norm(float[] grad) {
        double s = 0;
        for (float g : grad) {
            s += (double) g * g;
        }
        return Math.sqrt(s);
    }

    /// Scales `grad` in place so its norm is at most `maxNorm`; returns the norm before clipping.
    /// A non-finite norm is returned unchanged and the gradient left alone: the caller must skip the step.
    public static double clip(float[] grad, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("maxNorm must be positive, got " + maxNorm);
        }
        double n = norm(grad);
        if (Double.isFinite(n) && n > maxNorm) {
            float scale = (float) (maxNorm / (n + 1e-6)); // PyTorch's 1e-6 guard
            for (int i = 0; i < grad.length; i++) {
                grad[i] *= scale;
            }
        }
        return n;
    }
}
