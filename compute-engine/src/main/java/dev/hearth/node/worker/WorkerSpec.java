package dev.hearth.node.worker;

import dev.hearth.engine.backend.DeviceSetting;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.recipe.RunRecipe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/// Everything a trainer needs to start: the run's part of it taken from the run's recipe ({@link #forRun}), the
/// node's part from its settings. Passed on the child's command line ({@link #toArgs}, {@link #fromArgs}: the one
/// place it is written and read as text), so a restarted worker comes back identical.
///
/// @param model        the model shape
/// @param demo         DeMo's momentum decay, DCT blocking, top-k and value encoding
/// @param corpus       `bundled` or a directory of text files
/// @param microBatch   windows per forward/backward pass (bounds activation memory)
/// @param stateDir     where the worker keeps its optimizer state (the DeMo residual) and corpus cache
/// @param localSteps   0: send the DeMo-compressed gradient of the round's windows (the run's sign outer step);
///                     n ≥ 1: take n inner AdamW steps over the round's windows and send the compressed
///                     pseudo-gradient `θ_start − θ_local` (the run's mean outer step)
/// @param weightDecay  the inner AdamW's decoupled weight decay (with localSteps ≥ 1)
/// @param device       where to train: `auto` (a usable NVIDIA GPU, else the CPU), `cpu`, or a GPU index
///                     ({@link DeviceSetting}); the owner's choice from the node's settings
/// @param cpuThreads   threads of the CPU engine when it trains on the CPU (the owner's core limit, ≥ 1)
/// @param cpuPercent   share of those threads' time the CPU trainer may take, % (1..100; {@link DutyCycle})
public record WorkerSpec(ModelConfig model, DemoConfig demo, String corpus, int microBatch, Path stateDir,
                         int localSteps, float weightDecay, String device, int cpuThreads, int cpuPercent) {

    public WorkerSpec {
        if (model == null || demo == null) throw new IllegalArgumentException("a worker needs a model and DeMo settings");
        if (localSteps < 0 || localSteps > MeanStep.MAX_LOCAL_STEPS) {
            throw new IllegalArgumentException("local steps must be in [0, " + MeanStep.MAX_LOCAL_STEPS + "], got " + localSteps);
        }
        if (!(weightDecay >= 0f && weightDecay <= 1f)) {
            throw new IllegalArgumentException("inner weight decay must be in [0, 1], got " + weightDecay);
        }
        device = DeviceSetting.parse(device).toString(); // a bad value fails here, in the node, not in the child
        if (cpuThreads < 1) throw new IllegalArgumentException("CPU threads must be at least 1, got " + cpuThreads);
        if (cpuPercent < 1 || cpuPercent > 100) {
            throw new IllegalArgumentException("CPU percentage must be in [1, 100], got " + cpuPercent);
        }
    }

    /// A spec with no CPU limit: every core, all of their time.
    public WorkerSpec(ModelConfig model, DemoConfig demo, String corpus, int microBatch, Path stateDir, int localSteps,
                      float weightDecay, String device) {
        this(model, demo, corpus, microBatch, stateDir, localSteps, weightDecay, device,
                Runtime.getRuntime().availableProcessors(), 100);
    }

    /// A spec for the sign outer step (one gradient per round, no inner optimizer) that trains where
    /// {@link DeviceSetting#AUTO} chooses.
    public WorkerSpec(ModelConfig model, DemoConfig demo, String corpus, int microBatch, Path stateDir) {
        this(model, demo, corpus, microBatch, stateDir, 0, 0f, "auto");
    }

    /// The trainer of the run `recipe` describes: its model, DeMo settings and outer rule's local steps and inner
    /// decay; the rest is the node's (the corpus it verified, the owner's device and CPU limit).
    public static WorkerSpec forRun(RunRecipe recipe, String corpus, int microBatch, Path stateDir, String device,
                                    int cpuThreads, int cpuPercent) {
        return new WorkerSpec(recipe.model(), recipe.demo(), corpus, microBatch, stateDir, recipe.outer().localSteps(),
                (float) recipe.outer().innerWeightDecay(), device, cpuThreads, cpuPercent);
    }

    public List<String> toArgs() {
        List<String> a = new ArrayList<>();
        a.add("--model"); a.add(model.name());
        a.add("--beta"); a.add(Float.toString(demo.beta()));
        a.add("--block"); a.add(Integer.toString(demo.blockSize()));
        a.add("--top-k"); a.add(Integer.toString(demo.topK()));
        a.add("--encoding"); a.add(demo.encoding().configName());
        a.add("--corpus"); a.add(corpus);
        a.add("--micro-batch"); a.add(Integer.toString(microBatch));
        a.add("--state-dir"); a.add(stateDir.toString());
        a.add("--local-steps"); a.add(Integer.toString(localSteps));
        a.add("--weight-decay"); a.add(Float.toString(weightDecay));
        a.add("--device"); a.add(device);
        a.add("--cpu-threads"); a.add(Integer.toString(cpuThreads));
        a.add("--cpu-percent"); a.add(Integer.toString(cpuPercent));
        return a;
    }

    /// @throws IllegalArgumentException naming an unknown option, a missing one, or a value out of range
    public static WorkerSpec fromArgs(String[] args) {
        String model = null, encoding = null, corpus = null;
        Float beta = null;
        Integer block = null, topK = null, micro = null;
        Path state = null;
        int localSteps = 0;
        float weightDecay = 0f;
        String device = "auto";
        int cpuThreads = Runtime.getRuntime().availableProcessors();
        int cpuPercent = 100;
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
                case "--local-steps" -> localSteps = Integer.parseInt(v);
                case "--weight-decay" -> weightDecay = Float.parseFloat(v);
                case "--device" -> device = v;
                case "--cpu-threads" -> cpuThreads = Integer.parseInt(v);
                case "--cpu-percent" -> cpuPercent = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown worker option " + args[i]);
            }
            i++;
        }
        if (model == null || beta == null || block == null || topK == null || encoding == null || corpus == null
                || micro == null || state == null) {
            throw new IllegalArgumentException("worker: missing options (got " + String.join(" ", args) + ")");
        }
        return new WorkerSpec(ModelConfig.byName(model), new DemoConfig(beta, block, topK, ValueEncoding.named(encoding)),
                corpus, micro, state, localSteps, weightDecay, device, cpuThreads, cpuPercent);
    }
}
