package dev.hearth.node.worker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/// Everything a trainer needs to start: passed on the child's command line, so a restarted
/// worker comes back identical.
///
/// @param model        model config name (`nano`, `small`)
/// @param beta         DeMo momentum decay
/// @param blockSize    DCT block edge
/// @param topK         coefficients kept per block
/// @param encoding     value encoding name (`SIGN_1BIT`, `FP16`)
/// @param corpus       `bundled` or a directory of text files
/// @param microBatch   windows per forward/backward pass (bounds activation memory)
/// @param stateDir     where the worker keeps its optimizer state (the DeMo residual) and corpus cache
public record WorkerSpec(String model, float beta, int blockSize, int topK, String encoding, String corpus,
                         int microBatch, Path stateDir) {

    public List<String> toArgs() {
        List<String> a = new ArrayList<>();
        a.add("--model"); a.add(model);
        a.add("--beta"); a.add(Float.toString(beta));
        a.add("--block"); a.add(Integer.toString(blockSize));
        a.add("--top-k"); a.add(Integer.toString(topK));
        a.add("--encoding"); a.add(encoding);
        a.add("--corpus"); a.add(corpus);
        a.add("--micro-batch"); a.add(Integer.toString(microBatch));
        a.add("--state-dir"); a.add(stateDir.toString());
        return a;
    }

    public static WorkerSpec fromArgs(String[] args) {
        String model = null, encoding = null, corpus = null;
        Float beta = null;
        Integer block = null, topK = null, micro = null;
        Path state = null;
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            if (v == null) throw new IllegalArgumentException("option " + args[i] + " needs a value");
            switch (args[i]) {
                case "--model" -> model = v;
                case "--beta" -> beta = Float.parseFloat(v);
                case "--block" -> block = Integer.parseInt(v);
                case "--top-k" -> topK = Integer.parseInt(v);
                case "--encoding" -> encoding = v;
                case "--corpus" -> corpus = v;
                case "--micro-batch" -> micro = Integer.parseInt(v);
                case "--state-dir" -> state = Path.of(v);
                default -> throw new IllegalArgumentException("unknown worker option " + args[i]);
            }
            i++;
        }
        if (model == null || beta == null || block == null || topK == null || encoding == null || corpus == null
                || micro == null || state == null) {
            throw new IllegalArgumentException("worker: missing options (got " + String.join(" ", args) + ")");
        }
        return new WorkerSpec(model, beta, block, topK, encoding, corpus, micro, state);
    }
}
