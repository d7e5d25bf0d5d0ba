package dev.hearth.engine.train;

import dev.hearth.engine.data.Batch;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.model.TrainingBackend;

/// {@link LocalTrainer} on host arrays: any {@link TrainingBackend} (the CPU engine) for the gradient and
/// {@link AdamW} for the inner step.
public final class HostLocalTrainer implements LocalTrainer {

    private final TrainingBackend backend;
    private final AdamW.Settings innerSettings;
    /// Made on first use: a run without local steps (the sign outer step) never holds the two moments.
    private AdamW inner;
    private final float[] start;
    private final float[] working;
    private final float[] grad;
    private final float[] microGrad;

    /// @param inner the inner AdamW's settings (its `lr` is unused: each step is given its rate)
    public HostLocalTrainer(TrainingBackend backend, AdamW.Settings inner) {
        this.backend = backend;
        this.innerSettings = inner;
        int n = backend.layout().size();
        this.start = new float[n];
        this.working = new float[n];
        this.grad = new float[n];
        this.microGrad = new float[n];
    }

    @Override
    public ModelConfig config() {
        return backend.config();
    }

    @Override
    public ParameterLayout layout() {
        return backend.layout();
    }

    @Override
    public String description() {
        return backend.description();
    }

    @Override
    public void load(float[] params) {
        requireSize("parameters", params);
        System.arraycopy(params, 0, start, 0, params.length);
        System.arraycopy(params, 0, working, 0, params.length);
    }

    @Override
    public void zeroGradient() {
        java.util.Arrays.fill(grad, 0f);
    }

    @Override
    public float accumulateGradient(Batch batch, float weight) {
        float loss = backend.lossAndGradient(working, batch, microGrad);
        for (int i = 0; i < grad.length; i++) grad[i] += weight * microGrad[i];
        return loss;
    }

    @Override
    public void readGradient(float[] out) {
        requireSize("gradient output", out);
        System.arraycopy(grad, 0, out, 0, grad.length);
    }

    @Override
    public void adamwStep(float lr) {
        inner().step(working, grad, lr);
    }

    @Override
    public void readPseudoGradient(float[] out) {
        requireSize("pseudo-gradient output", out);
        for (int i = 0; i < out.length; i++) out[i] = start[i] - working[i];
    }

    @Override
    public AdamWState optimizerState() {
        AdamW a = inner();
        return new AdamWState(a.firstMoment().clone(), a.secondMoment().clone(), a.steps());
    }

    @Override
    public void restoreOptimizerState(AdamWState state) {
        inner().restore(state.m(), state.v(), state.steps());
    }

    private AdamW inner() {
        if (inner == null) inner = new AdamW(backend.layout(), innerSettings);
        return inner;
    }

    private void requireSize(String what, float[] a) {
        if (a.length != grad.length) {
            throw new IllegalArgumentException(what + " of " + a.length + " values for a model of " + grad.length);
        }
    }

    @Override
    public void close() {
        backend.close();
    }
}
