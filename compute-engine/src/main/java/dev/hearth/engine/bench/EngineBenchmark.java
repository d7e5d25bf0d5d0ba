package dev.hearth.engine.bench;

import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.Batch;
import dev.hearth.engine.train.TrainingBackend;
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

/// `./hearth bench engine`: the Java engine and its PyTorch twin (`bench/gpt_reference.py`) train the same
/// model from the same initial weights on the same batches, back to back, with the same thread count.
/// Prints tokens/s for both and their ratio, peak RSS for both, the loss after N steps for both,
/// the gradient agreement at the initial weights, and with `--quality` the held-out loss after 300 steps.
public final class EngineBenchmark {

    private static final String USAGE = """
            usage: hearth bench engine [options]
              --model NAME        nano | small                          (default nano)
              --batch B           windows per step                      (default 16)
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
              --java-only         skip PyTorch (no comparison)
              --help              this text
            Run from the repository root. The PyTorch side needs Debian's python3-torch and
            libopenblas0-openmp (see docs/benchmarks.md).""";

    private EngineBenchmark() {
    }

    record Options(ModelConfig model, int batch, int steps, int warmup, boolean quality, int valBatches, float lr,
                   int threads, String python, Path script, Path cache, boolean javaOnly, int rounds) {
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
        run(o);
    }

    static Options parse(String[] args) {
        String model = "nano";
        int batch = 16;
        Integer steps = null;
        int warmup = 5;
        boolean quality = false;
        int val = 16;
        float lr = 1e-3f;
        int threads = Runtime.getRuntime().availableProcessors();
        String python = "/usr/bin/python3";
        Path script = Path.of("bench", "gpt_reference.py");
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
                        case "--batch" -> batch = Integer.parseInt(v);
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
        return new Options(ModelConfig.byName(model), batch, n, warmup, quality, quality ? val : 0, lr, threads,
                python, script, cache, javaOnly, rounds);
    }

    static void run(Options o) throws Exception {
        ModelConfig cfg = o.model();
        int b = o.batch();
        int t = cfg.context();
        System.out.printf(Locale.ROOT, "Hearth engine benchmark — %s, model %s (%d params), B=%d T=%d, %d steps "
                        + "(%d warmup), %d threads, %s%n", Instant.now(), cfg.name(),
                ParameterLayout.gpt(cfg).size(), b, t, o.steps(), o.warmup(), o.threads(), cpuName());
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
        AdamW.Settings adam = new AdamW.Settings(o.lr(), 0.9f, 0.99f, 1e-8f, 0.1f);
        Files.writeString(work.resolve("config.json"), String.format(Locale.ROOT,
                "{\"layers\":%d,\"dModel\":%d,\"heads\":%d,\"context\":%d,\"vocab\":%d,\"batch\":%d,\"steps\":%d,"
                        + "\"warmupSteps\":%d,\"threads\":%d,\"lr\":%s,\"beta1\":%s,\"beta2\":%s,\"eps\":%s,"
                        + "\"weightDecay\":%s,\"validationWindows\":%d}",
                cfg.layers(), cfg.dModel(), cfg.heads(), t, cfg.vocab(), b, o.steps(), o.warmup(), o.threads(),
                adam.lr(), adam.beta1(), adam.beta2(), adam.eps(), adam.weightDecay(), o.valBatches() * b));

        // ---- Java
        var selection = BackendSelector.select(cfg, o.threads());
        System.out.println("java backend: " + selection.description());
        Result java = null;
        float[] javaGrad0 = new float[init.length];
        double[] javaTps = new double[o.rounds()];
        double[] torchTpsAll = new double[o.rounds()];
        double[] javaCpu = new double[o.rounds()];
        double[] torchCpu = new double[o.rounds()];
        String json = null;
        try (TrainingBackend backend = selection.backend()) {
            for (int r = 0; r < o.rounds(); r++) {
                java = trainJava(backend, init, corpus, stepIds, val, adam, o, javaGrad0);
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
        }
        System.out.printf(Locale.ROOT, "java:    %8.0f tokens/s%s, loss after %d steps %.4f%s, peak RSS %.0f MB%n",
                median(javaTps), o.rounds() > 1 ? " (median)" : "", o.steps(), java.finalLoss,
                o.quality() ? String.format(Locale.ROOT, ", validation loss %.4f", java.validationLoss) : "",
                java.peakRssMb);
        if (o.javaOnly()) {
            return;
        }
        double torchTps = median(torchTpsAll);
        double torchRss = number(json, "peakRssMb");
        double[] torchLosses = numbers(json, "losses");
        double torchInitial = number(json, "initialLoss");
        System.out.printf(Locale.ROOT, "pytorch: %8.0f tokens/s%s, loss after %d steps %.4f%s, peak RSS %.0f MB (torch %s)%n",
                torchTps, o.rounds() > 1 ? " (median)" : "", o.steps(), torchLosses[torchLosses.length - 1],
                o.quality() ? String.format(Locale.ROOT, ", validation loss %.4f", number(json, "validationLoss")) : "",
                torchRss, string(json, "torch"));
        System.out.printf(Locale.ROOT, "ratio java/pytorch: speed %.2f (wall clock), %.2f (per CPU-second), "
                        + "peak RSS %.2f%n", median(javaTps) / torchTps, median(javaCpu) / median(torchCpu),
                java.peakRssMb / torchRss);
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
        if (o.quality()) {
            double jv = java.validationLoss;
            double tv = number(json, "validationLoss");
            System.out.printf(Locale.ROOT, "quality: validation loss java %.4f vs pytorch %.4f (%+.2f%%, limit ±3%%): %s%n",
                    jv, tv, 100 * (jv - tv) / tv, Math.abs(jv - tv) / tv <= 0.03 ? "PASS" : "FAIL");
        }
        System.out.println("work dir: " + work);
    }

    private static String runPython(Options o, Path work) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(o.python(), o.script().toString(), work.toString());
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(o.threads()));
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.inheritIO();
        int rc = pb.start().waitFor();
        if (rc != 0) {
            throw new IllegalStateException("PyTorch reference failed (exit " + rc + "); is python3-torch installed? "
                    + "see docs/benchmarks.md");
        }
        return Files.readString(work.resolve("result.json"), StandardCharsets.UTF_8);
    }

    static double median(double[] x) {
        double[] s = x.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    record Result(double tokensPerSecond, double tokensPerCpuSecond, double finalLoss, double initialLoss, double validationLoss,
                  double peakRssMb) {
    }

    static Result trainJava(TrainingBackend backend, float[] init, Corpus corpus, long[][] stepIds, List<Batch> val,
                            AdamW.Settings adam, Options o, float[] grad0Out) {
        ModelConfig cfg = backend.config();
        float[] p = init.clone();
        float[] g = new float[p.length];
        Batch first = corpus.batch(stepIds[0], cfg.context());
        double initialLoss = backend.lossAndGradient(p, first, grad0Out);
        AdamW opt = new AdamW(backend.layout(), adam);
        long start = 0;
        long cpuStart = 0;
        double loss = Double.NaN;
        for (int s = 0; s < stepIds.length; s++) {
            if (s == o.warmup()) {
                start = System.nanoTime();
                cpuStart = processCpuNanos();
            }
            Batch batch = corpus.batch(stepIds[s], cfg.context());
            loss = backend.lossAndGradient(p, batch, g);
            opt.step(p, g, adam.lr());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
        double tokens = (double) (stepIds.length - o.warmup()) * o.batch() * cfg.context();
        double tps = tokens / seconds;
        double valLoss = Double.NaN;
        if (!val.isEmpty()) {
            double sum = 0;
            for (Batch vb : val) {
                sum += backend.loss(p, vb);
            }
            valLoss = sum / val.size();
        }
        return new Result(tps, tokens / cpuSeconds, loss, initialLoss, valLoss, peakRssMb());
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
