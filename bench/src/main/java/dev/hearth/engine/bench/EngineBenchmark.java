package dev.hearth.engine.bench;

import dev.hearth.engine.data.Batch;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.LocalTrainer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/// `./hearth bench engine`: Hearth's engine and its PyTorch twin (`bench/gpt_reference.py`) train the same
/// model from the same initial weights on the same batches, back to back: on the CPU with the same thread count
/// (`--backend cpu`, the default), or on the same GPU at the same precision (`--backend cuda`). Hearth trains
/// through a {@link LocalTrainer} — the seam the node's local round drives — so what is measured is what ships.
/// Prints tokens/s for both and their ratio, peak memory for both (RSS on the CPU, VRAM on the GPU), the loss
/// after N steps for both, the MFU where the device's peak is given, the gradient agreement at the initial
/// weights, and with `--quality` the held-out loss after 300 steps. `--json FILE` writes the same as JSON.
public final class EngineBenchmark {

    private static final String USAGE = """
            usage: hearth bench engine [options]
              --backend B         cpu | cuda                            (default cpu)
              --model NAME        nano | small | gpt2-small             (default nano)
              --precision P       fp32 | tf32 | bf16, both sides        (default fp32; cpu: fp32 only)
              --device N          CUDA device ordinal                   (default 0)
              --batch B           windows per step                      (default 16)
              --micro-batch M     windows per forward/backward; a step accumulates B/M of them (default B)
              --steps N           training steps for both engines       (default 30; 300 with --quality)
              --warmup N          steps left out of the tokens/s timing (default 5)
              --quality           300 steps of AdamW, then validation loss on held-out batches, Java vs PyTorch
              --val-batches N     validation batches of B windows       (default 16)
              --lr X              AdamW learning rate                   (default 1e-3)
              --threads N         threads for both engines              (default: available processors)
              --python PATH       interpreter with torch                (default /usr/bin/python3)
              --script PATH       the PyTorch twin                      (default bench/gpt_reference.py)
              --cache DIR         token cache for the bundled corpus    (default ~/.cache/hearth/corpus)
              --rounds N          alternate Java and PyTorch N times, report medians (default 1)
              --peak-tflops X     the device's peak TFLOP/s at this precision, for the MFU (default: none)
              --json FILE         also write the results (or why there are none) as JSON
              --java-only         skip PyTorch (no comparison)
              --help              this text
            Run from the repository root. The PyTorch side needs Debian's python3-torch and
            libopenblas0-openmp on the CPU, a CUDA build of PyTorch for --backend cuda (see docs/benchmarks.md).""";

    /// Exit status when the asked-for backend cannot run here (no GPU, no CUDA engine): nothing was measured.
    static final int EXIT_UNAVAILABLE = 3;

    private EngineBenchmark() {
    }

    /// Where Hearth's side trains.
    enum Backend { CPU, CUDA }

    /// Matrix-multiply precision, the same on both sides: `fp32` (no tensor cores), `tf32` (TF32 tensor-core
    /// multiplies, fp32 accumulation), `bf16` (bf16 operands, fp32 weights and accumulation).
    static final List<String> PRECISIONS = List.of("fp32", "tf32", "bf16");

    record Options(ModelConfig model, Backend backend, String precision, int device, int batch, int microBatch,
                   int steps, int warmup, boolean quality, int valBatches, float lr, int threads, String python,
                   Path script, Path cache, boolean javaOnly, int rounds, double peakTflops, Path json) {

        /// Both sides' AdamW: nanoGPT's small-model betas and decay at `--lr`.
        AdamW.Settings adam() {
            return new AdamW.Settings(lr, 0.9f, 0.99f, 1e-8f, 0.1f);
        }
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.println(USAGE);
            return;
        }
        try {
            run(o);
        } catch (BenchTrainer.UnavailableException e) {
            System.err.println("hearth bench engine: " + e.getMessage() + "; nothing was measured");
            if (o.json() != null) {
                Files.writeString(o.json(), BenchReport.unavailable(o, e.getMessage()));
            }
            System.exit(EXIT_UNAVAILABLE);
        }
    }

    static Options parse(String[] args) {
        String model = "nano";
        Backend backend = Backend.CPU;
        String precision = "fp32";
        int device = 0;
        int batch = 16;
        Integer microBatch = null;
        double peakTflops = Double.NaN;
        Path json = null;
        Integer steps = null;
        int warmup = 5;
        boolean quality = false;
        int val = 16;
        float lr = 1e-3f;
        int threads = Runtime.getRuntime().availableProcessors();
        String python = "/usr/bin/python3";
        // ./hearth exports HEARTH_HOME, so the benchmark finds its PyTorch twin from any working directory.
        String home = System.getenv("HEARTH_HOME");
        Path script = home == null ? Path.of("bench", "gpt_reference.py") : Path.of(home, "bench", "gpt_reference.py");
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "hearth", "corpus");
        boolean javaOnly = false;
        int rounds = 1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--quality" -> quality = true;
                case "--java-only" -> javaOnly = true;
                default -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("missing value after " + a);
                    }
                    String v = args[++i];
                    switch (a) {
                        case "--model" -> model = v;
                        case "--backend" -> backend = switch (v) {
                            case "cpu" -> Backend.CPU;
                            case "cuda" -> Backend.CUDA;
                            default -> throw new IllegalArgumentException("--backend must be cpu or cuda, got " + v);
                        };
                        case "--precision" -> precision = v;
                        case "--device" -> device = Integer.parseInt(v);
                        case "--batch" -> batch = Integer.parseInt(v);
                        case "--micro-batch" -> microBatch = Integer.parseInt(v);
                        case "--peak-tflops" -> peakTflops = Double.parseDouble(v);
                        case "--json" -> json = Path.of(v);
                        case "--steps" -> steps = Integer.parseInt(v);
                        case "--warmup" -> warmup = Integer.parseInt(v);
                        case "--val-batches" -> val = Integer.parseInt(v);
                        case "--lr" -> lr = Float.parseFloat(v);
                        case "--threads" -> threads = Integer.parseInt(v);
                        case "--python" -> python = v;
                        case "--script" -> script = Path.of(v);
                        case "--cache" -> cache = Path.of(v);
                        case "--rounds" -> rounds = Integer.parseInt(v);
                        default -> throw new IllegalArgumentException("unknown option " + a);
                    }
                }
            }
        }
        int n = steps != null ? steps : quality ? 300 : 30;
        if (batch < 1 || n <= warmup || warmup < 0 || threads < 1 || val < 0 || rounds < 1) {
            throw new IllegalArgumentException("need batch >= 1, steps > warmup >= 0, threads >= 1, rounds >= 1");
        }
        int micro = microBatch != null ? microBatch : batch;
        if (micro < 1 || batch % micro != 0) {
            throw new IllegalArgumentException("--micro-batch must divide --batch " + batch + ", got " + micro);
        }
        if (!PRECISIONS.contains(precision)) {
            throw new IllegalArgumentException("--precision must be one of " + String.join(", ", PRECISIONS)
                    + ", got " + precision);
        }
        if (backend == Backend.CPU && !precision.equals("fp32")) {
            throw new IllegalArgumentException("--precision " + precision + " needs --backend cuda (the CPU engine"
                    + " computes in fp32)");
        }
        if (device < 0 || !(Double.isNaN(peakTflops) || peakTflops > 0)) {
            throw new IllegalArgumentException("need --device >= 0 and --peak-tflops > 0");
        }
        return new Options(ModelConfig.byName(model), backend, precision, device, batch, micro, n, warmup, quality,
                quality ? val : 0, lr, threads, python, script, cache, javaOnly, rounds, peakTflops, json);
    }

    static void run(Options o) throws Exception {
        ModelConfig cfg = o.model();
        int b = o.batch();
        int t = cfg.context();
        String where = o.backend() == Backend.CPU ? o.threads() + " threads, " + cpuName()
                : "CUDA device " + o.device() + ", " + o.precision();
        System.out.printf(Locale.ROOT, "Hearth engine benchmark — %s, model %s (%d params), B=%d%s T=%d, %d steps "
                        + "(%d warmup), %s%n", Instant.now(), cfg.name(), ParameterLayout.gpt(cfg).size(), b,
                o.microBatch() == b ? "" : " (micro-batch " + o.microBatch() + ")", t, o.steps(), o.warmup(), where);
        // The trainer first: a missing GPU or CUDA engine stops here, before the corpus is read.
        try (BenchTrainer first = BenchTrainer.open(o)) {
            System.out.println("java backend: " + first.trainer().description());
            run(o, first);
        }
    }

    /// `first` trains round 1; each later round opens its own trainer (a fresh AdamW). Each is closed before
    /// PyTorch runs, so on a GPU the two sides never hold the card's memory at once.
    private static void run(Options o, BenchTrainer first) throws Exception {
        ModelConfig cfg = o.model();
        int b = o.batch();
        int t = cfg.context();
        Corpus corpus = Corpus.bundled(o.cache());
        System.out.println("corpus: bundled Europarl, " + corpus);

        Path work = Files.createTempDirectory("hearth-bench-");
        float[] init = GptInit.init(cfg, 1234);
        long[][] stepIds = new long[o.steps()][b];
        for (int s = 0; s < o.steps(); s++) {
            for (int i = 0; i < b; i++) {
                stepIds[s][i] = (long) s * b + i;
            }
        }
        writeFloats(work.resolve("params.f32"), init);
        try (var out = Files.newOutputStream(work.resolve("train.u8"))) {
            for (long[] ids : stepIds) {
                out.write(corpus.batchBytes(ids, t));
            }
        }
        List<Batch> val = new ArrayList<>();
        try (var out = Files.newOutputStream(work.resolve("val.u8"))) {
            for (int i = 0; i < o.valBatches(); i++) {
                Batch vb = corpus.validationBatch(i, b, t);
                val.add(vb);
                out.write(packed(vb));
            }
        }
        AdamW.Settings adam = o.adam();
        double flopsPerToken = trainingFlopsPerToken(cfg);
        Files.writeString(work.resolve("config.json"), String.format(Locale.ROOT,
                "{\"layers\":%d,\"dModel\":%d,\"heads\":%d,\"context\":%d,\"vocab\":%d,\"batch\":%d,\"steps\":%d,"
                        + "\"warmupSteps\":%d,\"threads\":%d,\"lr\":%s,\"beta1\":%s,\"beta2\":%s,\"eps\":%s,"
                        + "\"weightDecay\":%s,\"validationWindows\":%d,\"flopsPerToken\":%.0f}",
                cfg.layers(), cfg.dModel(), cfg.heads(), t, cfg.vocab(), b, o.steps(), o.warmup(), o.threads(),
                adam.lr(), adam.beta1(), adam.beta2(), adam.eps(), adam.weightDecay(), o.valBatches() * b,
                flopsPerToken));

        Result java = null;
        float[] javaGrad0 = new float[init.length];
        double[] javaTps = new double[o.rounds()];
        double[] torchTpsAll = new double[o.rounds()];
        double[] javaCpu = new double[o.rounds()];
        double[] torchCpu = new double[o.rounds()];
        String json = null;
        String description = first.trainer().description();
        String memory = first.memoryMeasure();
        for (int r = 0; r < o.rounds(); r++) {
            try (BenchTrainer bench = r == 0 ? first : BenchTrainer.open(o)) {
                java = trainJava(bench, init, corpus, stepIds, val, o, javaGrad0);
            }
            javaTps[r] = java.tokensPerSecond;
            javaCpu[r] = java.tokensPerCpuSecond;
            if (o.javaOnly()) {
                System.out.printf(Locale.ROOT, "round %d: java %.0f tokens/s%n", r + 1, javaTps[r]);
                continue;
            }
            json = runPython(o, work);
            torchTpsAll[r] = number(json, "tokensPerSecond");
            torchCpu[r] = number(json, "tokensPerCpuSecond");
            System.out.printf(Locale.ROOT, "round %d: java %.0f tokens/s (%.0f per CPU-second), pytorch %.0f tokens/s "
                            + "(%.0f per CPU-second), ratio %.2f%n", r + 1, javaTps[r], javaCpu[r], torchTpsAll[r],
                    torchCpu[r], javaTps[r] / torchTpsAll[r]);
        }
        boolean gpu = o.backend() == Backend.CUDA;
        double javaMfu = mfu(median(javaTps), flopsPerToken, o.peakTflops());
        System.out.printf(Locale.ROOT, "java:    %8.0f tokens/s%s, loss after %d steps %.4f%s, %s %.0f MB%s%n",
                median(javaTps), o.rounds() > 1 ? " (median)" : "", o.steps(), java.finalLoss,
                o.quality() ? String.format(Locale.ROOT, ", validation loss %.4f", java.validationLoss) : "",
                memory, java.peakMemoryMb, mfuWords(javaMfu));
        var report = new BenchReport(o, description, memory, flopsPerToken);
        report.hearth(median(javaTps), java, javaMfu);
        if (o.javaOnly()) {
            writeJson(o, report.json());
            return;
        }
        double torchTps = median(torchTpsAll);
        double torchMemory = gpu ? number(json, "peakVramMb") : number(json, "peakRssMb");
        double[] torchLosses = numbers(json, "losses");
        double torchInitial = number(json, "initialLoss");
        double torchMfu = mfu(torchTps, flopsPerToken, o.peakTflops());
        System.out.printf(Locale.ROOT, "pytorch: %8.0f tokens/s%s, loss after %d steps %.4f%s, %s %.0f MB%s (torch %s%s)%n",
                torchTps, o.rounds() > 1 ? " (median)" : "", o.steps(), torchLosses[torchLosses.length - 1],
                o.quality() ? String.format(Locale.ROOT, ", validation loss %.4f", number(json, "validationLoss")) : "",
                gpu ? "peak VRAM (max_memory_allocated)" : "peak RSS", torchMemory, mfuWords(torchMfu),
                string(json, "torch"), gpu ? ", " + string(json, "device") + ", " + string(json, "precision") : "");
        if (gpu) {
            System.out.printf(Locale.ROOT, "ratio java/pytorch: speed %.2f, peak VRAM %.2f%n",
                    median(javaTps) / torchTps, java.peakMemoryMb / torchMemory);
        } else {
            System.out.printf(Locale.ROOT, "ratio java/pytorch: speed %.2f (wall clock), %.2f (per CPU-second), "
                            + "peak RSS %.2f%n", median(javaTps) / torchTps, median(javaCpu) / median(torchCpu),
                    java.peakMemoryMb / torchMemory);
        }
        // ---- gradient agreement at the initial weights
        float[] torchGrad = readFloats(work.resolve("torch_grad0.f32"), init.length);
        double worst = 0;
        String worstName = "";
        for (ParameterLayout.Tensor ten : ParameterLayout.gpt(cfg).tensors()) {
            double scale = 1e-12;
            double diff = 0;
            for (int i = ten.offset(); i < ten.offset() + ten.size(); i++) {
                scale = Math.max(scale, Math.abs(torchGrad[i]));
                diff = Math.max(diff, Math.abs(torchGrad[i] - javaGrad0[i]));
            }
            if (diff / scale > worst) {
                worst = diff / scale;
                worstName = ten.name();
            }
        }
        System.out.printf(Locale.ROOT, "gradient check vs PyTorch at the initial weights: loss %.6f vs %.6f; "
                        + "worst tensor %s max|Δg|/max|g| = %.2e%n",
                java.initialLoss, torchInitial, worstName, worst);
        report.pytorch(json, torchTps, torchMemory, torchMfu);
        report.gradientCheck(java.initialLoss, torchInitial, worstName, worst);
        if (o.quality()) {
            double jv = java.validationLoss;
            double tv = number(json, "validationLoss");
            System.out.printf(Locale.ROOT, "quality: validation loss java %.4f vs pytorch %.4f (%+.2f%%, limit ±3%%): %s%n",
                    jv, tv, 100 * (jv - tv) / tv, Math.abs(jv - tv) / tv <= 0.03 ? "PASS" : "FAIL");
        }
        writeJson(o, report.json());
        System.out.println("work dir: " + work);
    }

    /// Model FLOPs of one training token (forward + backward), PaLM's count as nanoGPT's MFU uses it:
    /// 6 per weight that multiplies (every parameter but the two embedding tables, which are looked up) plus
    /// 12·L·T·C for attention's two T×T products, counted without the causal half. The MFU's numerator.
    static double trainingFlopsPerToken(ModelConfig c) {
        ParameterLayout layout = ParameterLayout.gpt(c);
        long multiplying = layout.size() - layout.tensor("wte").size() - layout.tensor("wpe").size();
        return 6.0 * multiplying + 12.0 * c.layers() * c.context() * c.dModel();
    }

    /// Model FLOP utilisation: achieved model FLOP/s over the device's peak; NaN when no peak is given.
    static double mfu(double tokensPerSecond, double flopsPerToken, double peakTflops) {
        return Double.isNaN(peakTflops) ? Double.NaN : tokensPerSecond * flopsPerToken / (peakTflops * 1e12);
    }

    private static String mfuWords(double mfu) {
        return Double.isNaN(mfu) ? "" : String.format(Locale.ROOT, ", MFU %.1f%%", 100 * mfu);
    }

    private static void writeJson(Options o, String json) throws IOException {
        if (o.json() != null) {
            Files.writeString(o.json(), json);
            System.out.println("results: " + o.json());
        }
    }

    private static String runPython(Options o, Path work) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(o.python(), o.script().toString(), work.toString()));
        if (o.backend() == Backend.CUDA) {
            // The same ordinal in the same environment: the runtime API numbers cards as the driver API does.
            cmd.addAll(List.of("--device", "cuda", "--cuda-index", Integer.toString(o.device()), "--precision",
                    o.precision()));
        }
        if (!Double.isNaN(o.peakTflops())) {
            cmd.addAll(List.of("--peak-tflops", Double.toString(o.peakTflops())));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(o.threads()));
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.inheritIO();
        int rc = pb.start().waitFor();
        if (rc != 0) {
            throw new IllegalStateException("PyTorch reference failed (exit " + rc + "); " + (o.backend() == Backend.CUDA
                    ? "does this python's torch have CUDA? (see its message above and docs/benchmarks.md)"
                    : "is python3-torch installed? see docs/benchmarks.md"));
        }
        return Files.readString(work.resolve("result.json"), StandardCharsets.UTF_8);
    }

    static double median(double[] x) {
        double[] s = x.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    record Result(double tokensPerSecond, double tokensPerCpuSecond, double finalLoss, double initialLoss, double validationLoss,
                  double peakMemoryMb) {
    }

    /// Trains `stepIds.length` AdamW steps from `init` through a freshly opened trainer (the node's local-round
    /// seam: zero the gradient, accumulate the step's micro-batches, one inner AdamW step), after the gradient at
    /// `init` on the first batch has been read into `grad0Out`.
    static Result trainJava(BenchTrainer bench, float[] init, Corpus corpus, long[][] stepIds, List<Batch> val,
                            Options o, float[] grad0Out) {
        LocalTrainer trainer = bench.trainer();
        int context = trainer.config().context();
        trainer.load(init);
        trainer.zeroGradient();
        double initialLoss = accumulate(trainer, corpus.batch(stepIds[0], context), o.microBatch());
        trainer.readGradient(grad0Out);
        trainer.load(init);
        float lr = o.adam().lr();
        long start = 0;
        long cpuStart = 0;
        double loss = Double.NaN;
        for (int s = 0; s < stepIds.length; s++) {
            if (s == o.warmup()) {
                start = System.nanoTime();
                cpuStart = processCpuNanos();
            }
            Batch batch = corpus.batch(stepIds[s], context);
            trainer.zeroGradient();
            loss = accumulate(trainer, batch, o.microBatch());
            trainer.adamwStep(lr);
        }
        // Each step's loss is read back before the next begins, so the clock stops with the last step's backward
        // on the device; its AdamW step, queued behind, is the one piece a GPU may still be running.
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
        double tokens = (double) (stepIds.length - o.warmup()) * o.batch() * context;
        double tps = tokens / seconds;
        double valLoss = Double.NaN;
        if (!val.isEmpty()) {
            double sum = 0;
            for (Batch vb : val) {
                trainer.zeroGradient();
                sum += accumulate(trainer, vb, o.microBatch(), 0f); // weight 0: the loss alone, θ untouched
            }
            valLoss = sum / val.size();
        }
        return new Result(tps, tokens / cpuSeconds, loss, initialLoss, valLoss, bench.peakMemoryMb());
    }

    /// The mean loss of `batch`, its mean gradient added to the trainer's, one micro-batch of `micro` windows at
    /// a time (each weighted by its share of the batch).
    static double accumulate(LocalTrainer trainer, Batch batch, int micro) {
        return accumulate(trainer, batch, micro, (float) micro / batch.size());
    }

    private static double accumulate(LocalTrainer trainer, Batch batch, int micro, float weight) {
        if (micro == batch.size()) {
            return trainer.accumulateGradient(batch, weight);
        }
        double loss = 0;
        for (int from = 0; from < batch.size(); from += micro) {
            loss += trainer.accumulateGradient(slice(batch, from, from + micro), weight);
        }
        return loss * micro / batch.size();
    }

    /// Windows `[from, to)` of `batch`.
    static Batch slice(Batch batch, int from, int to) {
        int t = batch.context();
        return new Batch(to - from, t, java.util.Arrays.copyOfRange(batch.inputs(), from * t, to * t),
                java.util.Arrays.copyOfRange(batch.targets(), from * t, to * t));
    }

    /// CPU time of the whole JVM (every thread, JIT and GC included), like Python's `time.process_time()`.
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    static byte[] packed(Batch b) {
        int t = b.context();
        byte[] out = new byte[b.size() * (t + 1)];
        for (int i = 0; i < b.size(); i++) {
            for (int j = 0; j < t; j++) {
                out[i * (t + 1) + j] = (byte) b.inputs()[i * t + j];
            }
            out[i * (t + 1) + t] = (byte) b.targets()[i * t + t - 1];
        }
        return out;
    }

    /// Peak resident set size of this process (`VmHWM`), the same measure the Python side reports.
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: report NaN rather than fail the benchmark
        }
        return Double.NaN;
    }

    static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return System.getProperty("os.arch");
    }

    static void writeFloats(Path f, float[] x) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(x);
        Files.write(f, bb.array());
    }

    static float[] readFloats(Path f, int n) throws IOException {
        byte[] raw = Files.readAllBytes(f);
        if (raw.length != n * 4) {
            throw new IOException(f + " holds " + raw.length / 4 + " floats, expected " + n);
        }
        float[] x = new float[n];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        return x;
    }

    private static double number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*([-0-9.eE+naN]+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("result.json lacks " + key);
        }
        return Double.parseDouble(m.group(1));
    }

    private static String string(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : "?";
    }

    private static double[] numbers(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\s*\\[([^]]*)]").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("result.json lacks " + key);
        }
        String[] parts = m.group(1).split(",");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Double.parseDouble(parts[i].strip());
        }
        return out;
    }

}
