package dev.hearth.coordinator.service;

import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.TrainingBackend;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/// A few lines of text from the current model, so people watching the dashboard can see what it has
/// learnt: a validation window's first bytes as the prompt, then sampled bytes (temperature 0.8).
final class TextSampler {

    /// Bytes generated per sample: two or three lines of parliamentary prose.
    static final int SAMPLE_BYTES = 160;
    /// Prompt bytes taken from the start of a validation window.
    static final int PROMPT_BYTES = 32;
    /// Below 1 the text is more readable; 0.8 keeps some variety.
    static final double TEMPERATURE = 0.8;
    /// Fixed, so the samples of successive versions differ only by the model.
    static final long SEED = 42;

    private final TrainingBackend backend;
    private final ModelConfig model;

    TextSampler(TrainingBackend backend, ModelConfig model) {
        this.backend = backend;
        this.model = model;
    }

    String sample(float[] params, Corpus corpus) {
        int[] prompt = corpus.validationBatch(0, 1, model.context()).inputs();
        int t = model.context();
        int[] window = new int[t];
        int len = Math.min(PROMPT_BYTES, t);
        System.arraycopy(prompt, 0, window, 0, len);
        byte[] out = new byte[SAMPLE_BYTES];
        SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < SAMPLE_BYTES; i++) {
            int[] ctx = java.util.Arrays.copyOfRange(window, Math.max(0, len - t), len);
            float[] p = backend.nextTokenProbabilities(params, ctx);
            int next = draw(p, random);
            out[i] = (byte) next;
            if (len == t) {
                System.arraycopy(window, 1, window, 0, t - 1);
                len--;
            }
            window[len++] = next;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < PROMPT_BYTES && i < prompt.length; i++) text.append((char) prompt[i]);
        return new String(bytesOf(text.toString()), StandardCharsets.UTF_8) + "|"
                + new String(out, StandardCharsets.UTF_8).replace('\uFFFD', '?');
    }

    private static byte[] bytesOf(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static int draw(float[] p, SplittableRandom random) {
        double[] w = new double[p.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            w[i] = Math.pow(Math.max(p[i], 0), 1 / TEMPERATURE);
            sum += w[i];
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < w.length; i++) {
            u -= w[i];
            if (u <= 0) return i;
        }
        return w.length - 1;
    }
}
