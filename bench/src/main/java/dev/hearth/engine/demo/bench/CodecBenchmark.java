package dev.hearth.engine.demo.bench;

import dev.hearth.engine.demo.CompressionStats;
import dev.hearth.engine.demo.DemoAggregator;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.SignStep;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;

/// `./hearth bench codec`: times the DeMo codec on a real model layout and prints the figures per 10M parameters.
///
/// Node side: compress (momentum + DCT + top-k + residual) and encode. Coordinator side: decode, aggregate N
/// updates (token-weighted mean in the DCT domain + inverse DCT), ternary sign packing, and the outer step.
public final class CodecBenchmark {

    private static final double TEN_MILLION = 10_000_000.0;

    private CodecBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        var settings = args.clone();
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--threads")) {
                threads = Integer.parseInt(args[i + 1]);
            }
        }
        // The codec's parallel streams run in the pool they are called from: a pool of `threads` bounds them.
        var pool = new ForkJoinPool(threads);
        try {
            pool.submit(() -> {
                run(settings);
                return null;
            }).get();
        } finally {
            pool.shutdown();
        }
    }

    private static void run(String[] args) throws Exception {
        String model = "small";
        int k = DemoConfig.DEFAULT_TOP_K;
        int block = DemoConfig.DEFAULT_BLOCK_SIZE;
        ValueEncoding enc = ValueEncoding.SIGN_1BIT;
        int updates = 100;
        int repeats = 7;
        String robust = "none";
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    usage();
                    return;
                }
                case "--model" -> model = args[++i];
                case "--k" -> k = Integer.parseInt(args[++i]);
                case "--block" -> block = Integer.parseInt(args[++i]);
                case "--encoding" -> enc = ValueEncoding.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--updates" -> updates = Integer.parseInt(args[++i]);
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--robust" -> robust = args[++i].toLowerCase(Locale.ROOT);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("unknown option " + args[i]);
                    usage();
                    System.exit(2);
                }
            }
        }
        RobustMode mode = switch (robust) {
            case "none" -> RobustMode.NONE;
            case "clip" -> RobustMode.NORM_CLIP;
            case "trim" -> RobustMode.trimmedMean(0.1);
            default -> throw new IllegalArgumentException("--robust takes none, clip or trim, got " + robust);
        };
        ParameterLayout layout = ParameterLayout.gpt(ModelConfig.byName(model));
        DemoConfig config = new DemoConfig(DemoConfig.DEFAULT_BETA, block, k, enc);
        int n = layout.size();
        double per10M = TEN_MILLION / n;
        System.out.printf(Locale.ROOT, "DeMo codec benchmark: model %s (%,d params), block %d, k %d, %s, %d threads%n",
                model, n, block, k, enc, threads);
        System.out.printf(Locale.ROOT, "java %s, %s, %d cores%n", System.getProperty("java.version"),
                System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors());

        var compressor = new DemoCompressor(layout, config);
        float[][] grads = {gaussian(n, 1), gaussian(n, 2)};
        SparseUpdate[] last = new SparseUpdate[1];
        byte[][] bytes = new byte[1][];
        double compressMs = time(repeats, r -> last[0] = compressor.compress(grads[r % 2]));
        double compressCpu = lastCpuMs;
        double encodeMs = time(repeats, r -> bytes[0] = UpdateCodec.encode(last[0], config.encoding()));
        double encodeCpu = lastCpuMs;
        DemoBlocking blocking = compressor.blocking();
        double decodeMs = time(repeats, r -> UpdateCodec.decode(bytes[0], blocking, config.encoding()));
        double decodeCpu = lastCpuMs;
        CompressionStats stats = UpdateCodec.stats(blocking, bytes[0]);

        List<SparseUpdate> many = syntheticUpdates(blocking, updates, config.encoding());
        long[] tokens = new long[updates];
        Arrays.fill(tokens, 16L * 256);
        float[][] direction = new float[1][];
        double aggregateMs = time(Math.max(1, repeats / 2), r -> direction[0] =
                DemoAggregator.aggregate(layout, config, many, tokens, mode));
        double aggregateCpu = lastCpuMs;
        byte[][] signs = new byte[1][];
        double ternaryMs = time(repeats, r -> signs[0] = SignStep.ternary(direction[0]));
        double ternaryCpu = lastCpuMs;
        float[] params = gaussian(n, 3);
        double applyMs = time(repeats, r -> SignStep.apply(layout, params, signs[0], 1e-4f, 0.1f));
        double applyCpu = lastCpuMs;

        System.out.printf(Locale.ROOT, "encoded update: %,d bytes, compression %.1fx%n", bytes[0].length, stats.ratio());
        System.out.printf(Locale.ROOT, "%-44s %10s %10s %14s %14s%n", "stage (median)", "wall ms", "cpu ms",
                "wall /10M", "cpu /10M");
        row("compress (momentum+DCT+top-k)", compressMs, compressCpu, per10M);
        row("encode", encodeMs, encodeCpu, per10M);
        row("compress + encode", compressMs + encodeMs, compressCpu + encodeCpu, per10M);
        row("decode one update", decodeMs, decodeCpu, per10M);
        row("aggregate " + updates + " updates (" + robust + ") + IDCT", aggregateMs, aggregateCpu, per10M);
        row("ternary pack", ternaryMs, ternaryCpu, per10M);
        row("outer step apply", applyMs, applyCpu, per10M);
        row("decode x" + updates + " + aggregate + ternary", decodeMs * updates + aggregateMs + ternaryMs,
                decodeCpu * updates + aggregateCpu + ternaryCpu, per10M);
        System.out.printf(Locale.ROOT, "load average during the run: %.2f%n", OS.getSystemLoadAverage());
    }

    private static void row(String name, double ms, double cpu, double per10M) {
        System.out.printf(Locale.ROOT, "%-44s %10.1f %10.1f %14.1f %14.1f%n", name, ms, cpu, ms * per10M, cpu * per10M);
    }

    private static void usage() {
        System.out.println("""
                usage: hearth bench codec [--model small|nano] [--k 32] [--block 64] [--encoding sign_1bit|fp16]
                                          [--updates 100] [--robust none|clip|trim] [--repeats 7] [--threads N]
                Times DeMo compress+encode and decode on the model's parameter layout (default: small, ~10.9M
                parameters), then aggregation + inverse DCT + ternary signs of N synthetic updates (coordinator side)
                and the outer step. Prints the median of the repeats (wall and process CPU time) and the same figures
                scaled to 10M parameters. --threads bounds the worker threads (default: all cores).""");
    }

    @FunctionalInterface
    private interface Run {
        void run(int repeat) throws Exception;
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /// Mean process CPU ms per run of the last {@link #time} call (all threads; the OS reports it in 10 ms steps,
    /// so it is averaged over all repeats rather than taken from one run).
    private static double lastCpuMs;

    /// Median wall time in ms of `repeats` runs after two warm-up runs (JIT); the mean process CPU time goes to
    /// {@link #lastCpuMs}: on a shared machine wall time swings with the neighbours' load, CPU time says how much
    /// work the stage is.
    private static double time(int repeats, Run run) throws Exception {
        for (int w = 0; w < 2; w++) {
            run.run(w);
        }
        double[] ms = new double[repeats];
        long c0 = OS.getProcessCpuTime();
        for (int r = 0; r < repeats; r++) {
            long t0 = System.nanoTime();
            run.run(r);
            ms[r] = (System.nanoTime() - t0) / 1e6;
        }
        lastCpuMs = (OS.getProcessCpuTime() - c0) / 1e6 / repeats;
        Arrays.sort(ms);
        return ms[repeats / 2];
    }

    private static float[] gaussian(int n, long seed) {
        var r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5) * 0.01);
        }
        return v;
    }

    /// Updates with random distinct sorted indices per block and random values, run through the codec so that
    /// their values are what a coordinator really holds after decoding.
    private static List<SparseUpdate> syntheticUpdates(DemoBlocking blocking, int count, ValueEncoding enc)
            throws Exception {
        var list = new ArrayList<SparseUpdate>();
        var r = new SplittableRandom(99);
        for (int u = 0; u < count; u++) {
            short[] idx = new short[blocking.entryCount()];
            float[] val = new float[blocking.entryCount()];
            for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
                int keep = t.keep();
                int[] pick = new int[keep];
                for (int blk = 0; blk < t.blockCount(); blk++) {
                    int chosen = 0;
                    // Floyd's sampling of `keep` distinct indices out of blockElems
                    for (int j = t.blockElems() - keep; j < t.blockElems(); j++) {
                        int c = r.nextInt(j + 1);
                        boolean seen = false;
                        for (int p = 0; p < chosen; p++) {
                            seen |= pick[p] == c;
                        }
                        pick[chosen++] = seen ? j : c;
                    }
                    Arrays.sort(pick);
                    int e0 = t.entryOffset() + blk * keep;
                    for (int e = 0; e < keep; e++) {
                        idx[e0 + e] = (short) pick[e];
                        val[e0 + e] = (float) (r.nextDouble() - 0.5);
                    }
                }
            }
            byte[] b = UpdateCodec.encode(new SparseUpdate(blocking, idx, val), enc);
            list.add(UpdateCodec.decode(b, blocking, enc));
        }
        return list;
    }
}
