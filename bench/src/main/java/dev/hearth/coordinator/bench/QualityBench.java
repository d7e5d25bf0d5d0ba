package dev.hearth.coordinator.bench;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.run.LrSchedule;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.SignStep;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.TrainingBackend;
import dev.hearth.engine.recipe.RunRecipe;
import dev.hearth.engine.train.AdamW;
import dev.hearth.node.NodeRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/// `./hearth bench quality`: does volunteer training with DeMo learn like dense AdamW on one machine, and at what
/// traffic? Three parts, each printed as a table:
///
/// 1. **sweep** (in-process simulation, {@link QualitySimulation}: the real codec and aggregator, no network):
///    the dense AdamW baseline and DeMo at several top-k, value encodings, β and lr on the same batch ids;
///    validation-loss ratio (DeMo ÷ baseline) against upload compression.
/// 2. **churn** (simulation): 25% of the nodes leave for the middle third of the run and rejoin with their residual.
/// 3. **tls**: a real coordinator and nodes over loopback TLS with the chosen setting; the baseline then trains
///    exactly the batch ids the coordinator committed (read from its ledger), and the simulation runs the same
///    setting for comparison.
public final class QualityBench {

    /// Full run: rounds of the sweep (and of the real run).
    static final int FULL_ROUNDS = 200;
    /// `--quick`: rounds per configuration, sized so that the whole quick bench (7 simulated runs and one real run)
    /// stays under 20 minutes on 2 cores even at load 15–20 (estimated from this machine's per-round times:
    /// ~1.5–2.5 s per simulated round, ~7 s per real round at that load).
    static final int QUICK_ROUNDS = 64; // 8 rounds of the default mean step's 8 local steps
    /// `--quick`'s sweep: the sign step's best setting (k 8, lr 1.2e-2) and the default mean step.
    static final String QUICK_SWEEP = "8:sign:0.999:0.012:0.0012,64:sign:0.999:0.001:0.0001:outer=mean:h=8:olr=1.5:wd=0.1";
    /// Nodes of the experiment.
    static final int NODES = 4;
    /// Windows per node per round (the run config's default).
    static final int SEQS_PER_NODE = 8;
    /// A real round waits at most this long for its uploads (nano rounds take seconds; generous for a loaded machine).
    static final Duration REAL_ROUND_LIMIT = Duration.ofMinutes(2);

    record Options(String model, int rounds, int nodes, int seqs, long seed, List<String> parts, Path work, String sweep,
                   int evalEvery, int localSteps, double[] outerLrs, boolean meanOuter, String localDemo, double baselineLr,
                   double baselineVal, long[] seeds) {}

    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        if (o == null) return;
        ModelConfig model = ModelConfig.byName(o.model());
        Files.createDirectories(o.work());
        Corpus corpus = Corpus.bundled(o.work().resolve("corpus"));
        try (TrainingBackend backend = BackendSelector.select(model).backend()) {
            if (o.seeds().length > 0) {
                sweepOverSeeds(o, model, corpus, backend);
                return;
            }
            QualitySimulation sim = new QualitySimulation(model, corpus, backend, o.nodes(), o.seqs(), o.rounds(),
                    o.seed(), o.evalEvery());
            System.out.printf(Locale.ROOT, "# Hearth quality bench: %s%n# backend: %s%n", sim, backend.description());
            LrSchedule baseLr = new LrSchedule(o.baselineLr(), o.baselineLr() / 10, warmup(o.rounds()), o.rounds());
            AdamW.Settings adam = AdamW.Settings.defaults();
            double baseline = Double.NaN;
            if (!Double.isNaN(o.baselineVal())) {
                baseline = o.baselineVal();
                System.out.printf(Locale.ROOT, "baseline given: val %.4f (from an earlier run: runs are deterministic)%n",
                        baseline);
            } else if (o.parts().contains("sweep") || o.parts().contains("churn") || o.parts().contains("local")) {
                var b = sim.baseline(adam, baseLr, QualitySimulation.Churn.NONE);
                baseline = b.valLoss();
                System.out.printf(Locale.ROOT, "baseline AdamW lr %s→%s cosine: val %.4f (%.0f s) curve %s%n",
                        baseLr.lrMax(), baseLr.lrMin(), b.valLoss(), b.seconds(), fmt(b.curve()));
            }
            if (o.parts().contains("sweep")) {
                System.out.println("| setting | k | encoding | β | lr max | lr min | compression | val loss | ratio | s |");
                System.out.println("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
                for (Sweep s : sweeps(o.sweep(), o.rounds())) {
                    var r = sim.demo(s.setting(), QualitySimulation.Churn.NONE);
                    DemoConfig d = s.setting().demo();
                    System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %.1f× | %.4f | %.4f | %.0f |  curve %s%n",
                            s.name(), d.topK(), d.encoding(), d.beta(), s.setting().lr().lrMax(),
                            s.setting().lr().lrMin(), r.compression(),
                            r.valLoss(), r.valLoss() / baseline, r.seconds(), fmt(r.curve()));
                }
            }
            if (o.parts().contains("local")) {
                int h = o.localSteps();
                long outer = o.rounds() / h;
                LrSchedule innerLr = new LrSchedule(1e-3, 1e-4, warmup(o.rounds()), o.rounds());
                System.out.println("| local steps | outer lr max | compression per token | val loss | ratio | s |");
                System.out.println("|---:|---:|---:|---:|---:|---:|");
                DemoConfig localDemo = chosen(o.rounds()).setting().demo();
                QualitySimulation.Experiments localExperiments = QualitySimulation.Experiments.NONE;
                if (o.localDemo() != null) {
                    // k:encoding:beta[:key=value...]: the lr fields of a sweep item do not apply (--outer-lr does)
                    String[] f = o.localDemo().split(":", 4);
                    String spec = f[0] + ":" + f[1] + ":" + f[2] + ":1" + (f.length > 3 ? ":" + f[3] : "");
                    var given = sweeps(spec, o.rounds()).getFirst().setting();
                    localDemo = given.demo();
                    localExperiments = given.experiments();
                }
                for (double outerLr : o.outerLrs()) {
                    // the mean outer step applies inner AdamW steps that are already scheduled: a constant rate
                    var outerLrs = o.meanOuter() ? new LrSchedule(outerLr, outerLr, 0, outer)
                            : new LrSchedule(outerLr, outerLr / 10, Math.max(1, outer / 20), outer);
                    var st = new QualitySimulation.Setting(localDemo, outerLrs, 0.0, localExperiments);
                    var r = sim.demoLocalSteps(st, h, adam, innerLr, o.meanOuter());
                    System.out.printf(Locale.ROOT, "| %d | %s | %.1f× | %.4f | %.4f | %.0f |  curve %s%n", h, outerLr,
                            r.compression(), r.valLoss(), r.valLoss() / baseline, r.seconds(), fmt(r.curve()));
                }
            }
            Sweep chosen = chosen(o.rounds());
            if (o.parts().contains("churn")) {
                int h = chosen.setting().mean() == null ? 1 : chosen.setting().mean().localSteps();
                long third = o.rounds() / h / 3; // in outer rounds
                var churn = new QualitySimulation.Churn(Math.max(1, o.nodes() / 4), third, 2 * third);
                var bc = sim.baseline(adam, baseLr, churn, h);
                var dc = sim.demo(chosen.setting(), churn);
                System.out.printf(Locale.ROOT, "churn (%d of %d nodes away in rounds %d..%d): baseline %.4f, Hearth %s %.4f, "
                                + "ratio %.4f (without churn the baseline was %.4f)%n",
                        churn.leavers(), o.nodes(), third, 2 * third - 1, bc.valLoss(), chosen.name(), dc.valLoss(),
                        dc.valLoss() / bc.valLoss(), baseline);
            }
            if (o.parts().contains("tls")) {
                realRun(o, model, sim, chosen, adam, baseLr);
            }
        }
    }

    record Sweep(String name, QualitySimulation.Setting setting) {}

    /// `--seeds`: the sweep once per seed (other initial weights, the same batch ids), each against its own
    /// baseline, then one line per setting with every seed's ratio and their mean — single runs differ by a few
    /// per cent from seed to seed, more than neighbouring settings do.
    static void sweepOverSeeds(Options o, ModelConfig model, Corpus corpus, TrainingBackend backend) {
        List<Sweep> sweeps = sweeps(o.sweep(), o.rounds());
        double[][] ratio = new double[sweeps.size()][o.seeds().length];
        double[] compression = new double[sweeps.size()];
        LrSchedule baseLr = new LrSchedule(o.baselineLr(), o.baselineLr() / 10, warmup(o.rounds()), o.rounds());
        for (int j = 0; j < o.seeds().length; j++) {
            QualitySimulation sim = new QualitySimulation(model, corpus, backend, o.nodes(), o.seqs(), o.rounds(),
                    o.seeds()[j], o.evalEvery());
            System.out.printf(Locale.ROOT, "# %s%n", sim);
            var b = sim.baseline(AdamW.Settings.defaults(), baseLr, QualitySimulation.Churn.NONE);
            System.out.printf(Locale.ROOT, "baseline seed %d: val %.4f curve %s%n", o.seeds()[j], b.valLoss(),
                    fmt(b.curve()));
            for (int i = 0; i < sweeps.size(); i++) {
                var r = sim.demo(sweeps.get(i).setting(), QualitySimulation.Churn.NONE);
                ratio[i][j] = r.valLoss() / b.valLoss();
                compression[i] = r.compression();
                System.out.printf(Locale.ROOT, "seed %d %s: val %.4f ratio %.4f curve %s%n", o.seeds()[j],
                        sweeps.get(i).name(), r.valLoss(), ratio[i][j], fmt(r.curve()));
            }
        }
        System.out.println("| setting | compression | ratio per seed | mean ratio |");
        System.out.println("|---|---:|---|---:|");
        for (int i = 0; i < sweeps.size(); i++) {
            StringBuilder each = new StringBuilder();
            double sum = 0;
            for (double x : ratio[i]) {
                each.append(each.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", x));
                sum += x;
            }
            System.out.printf(Locale.ROOT, "| %s | %.1f× | %s | %.3f |%n", sweeps.get(i).name(), compression[i], each,
                    sum / ratio[i].length);
        }
    }

    static int warmup(int rounds) {
        return Math.max(1, rounds / 20);
    }

    static QualitySimulation.Setting setting(int k, ValueEncoding e, double beta, double lrMax, double lrMin,
                                            int rounds) {
        return new QualitySimulation.Setting(new DemoConfig((float) beta, DemoConfig.DEFAULT_BLOCK_SIZE, k, e),
                new LrSchedule(lrMax, lrMin, warmup(rounds), rounds), 0.0);
    }

    /// The inner AdamW's schedule of a mean-step setting over `rounds / localSteps` outer rounds, with the run
    /// default's warm-up.
    static LrSchedule meanLr(double lrMax, double lrMin, int rounds, int localSteps) {
        long outer = Math.max(1, rounds / localSteps);
        return new LrSchedule(lrMax, lrMin, Math.min(MeanStep.DEFAULTS.warmupRounds(), outer / 5), outer);
    }

    /// The setting the tls and churn parts run: the run config's defaults (RunConfig.defaults(), i.e.
    /// run.example.toml), with the run's length (`rounds` of the baseline's steps).
    static Sweep chosen(int rounds) {
        RunRecipe d = RunConfig.defaults().recipe();
        DemoConfig demo = d.demo();
        OuterRule rule = d.outer();
        // the simulation has two algorithms (research code): local AdamW steps with a mean step, or one gradient
        if (rule.localSteps() > 0) {
            return new Sweep("defaults (mean step, " + rule.localSteps() + " local steps, k " + demo.topK()
                    + ", outer lr " + rule.outerLr() + ", inner lr " + d.lrMax() + "→" + d.lrMin() + ")",
                    new QualitySimulation.Setting(demo, meanLr(d.lrMax(), d.lrMin(), rounds, rule.localSteps()),
                            rule.weightDecay(), QualitySimulation.Experiments.NONE,
                            new QualitySimulation.Mean(rule.localSteps(), rule.outerLr())));
        }
        return new Sweep("defaults (k " + demo.topK() + ", lr " + d.lrMax() + "→" + d.lrMin() + ")",
                new QualitySimulation.Setting(demo,
                        new LrSchedule(d.lrMax(), d.lrMin(), Math.min(d.warmupRounds(), rounds / 5), rounds),
                        rule.weightDecay()));
    }

    /// The sweep: a named list, or "k:e:beta:lr,..." explicit settings.
    static List<Sweep> sweeps(String spec, int rounds) {
        List<Sweep> out = new ArrayList<>();
        if (spec.equals("none")) {
            return out;
        }
        for (String item : spec.split(",")) {
            String[] f = item.trim().split(":");
            if (f.length < 4) {
                throw new IllegalArgumentException("sweep item must be k:encoding:beta:lr_max[:lr_min[:zero_below]]"
                        + "[:key=value...] (encoding sign|fp16), got " + item);
            }
            ValueEncoding e = ValueEncoding.named(f[1]);
            double lrMax = Double.parseDouble(f[3]);
            double lrMin = lrMax / 10;
            double zero = 0;
            double precondition = 0;
            double weightDecay = 0;
            boolean feedback = false;
            double adamTernary = 0;
            double lionBeta1 = 0;
            double lionBeta2 = 0;
            boolean outerAdamW = false;
            boolean outerMean = false;
            int localSteps = MeanStep.DEFAULTS.localSteps();
            double outerLr = MeanStep.DEFAULTS.outerLr();
            boolean totalMean = false;
            int block = DemoConfig.DEFAULT_BLOCK_SIZE;
            int positional = 0;
            for (int i = 4; i < f.length; i++) {
                String[] kv = f[i].split("=", 2);
                if (kv.length == 1) {
                    if (positional++ == 0) lrMin = Double.parseDouble(f[i]);
                    else zero = Double.parseDouble(f[i]);
                    continue;
                }
                switch (kv[0]) {
                    case "block" -> block = Integer.parseInt(kv[1]);
                    case "wd" -> weightDecay = Double.parseDouble(kv[1]);
                    case "pre" -> precondition = Double.parseDouble(kv[1]);
                    case "ef" -> feedback = Boolean.parseBoolean(kv[1]);
                    case "adam" -> adamTernary = Double.parseDouble(kv[1]);
                    case "lion" -> {
                        String[] b = kv[1].split("/");
                        lionBeta1 = Double.parseDouble(b[0]);
                        lionBeta2 = Double.parseDouble(b[b.length - 1]);
                    }
                    case "outer" -> {
                        // adamw: the simulation-only coordinator AdamW on the aggregate; else a run's rule by name
                        if (kv[1].equals("adamw")) outerAdamW = true;
                        else outerMean = OuterRule.byName(kv[1]).localSteps() > 0;
                    }
                    case "h" -> localSteps = Integer.parseInt(kv[1]);
                    case "olr" -> outerLr = Double.parseDouble(kv[1]);
                    case "mean" -> totalMean = switch (kv[1]) {
                        case "all" -> true;
                        case "senders" -> false;
                        default -> throw new IllegalArgumentException("mean must be all or senders, got " + kv[1]);
                    };
                    default -> throw new IllegalArgumentException("unknown sweep key " + kv[0]
                            + " (block, wd, pre, ef, adam, lion, outer, h, olr, mean) in " + item);
                }
            }
            if (outerMean && (localSteps < 1 || rounds % localSteps != 0)) {
                throw new IllegalArgumentException("h=" + localSteps + " must be ≥ 1 and divide the " + rounds
                        + " rounds (the baseline's steps) in " + item);
            }
            var base = setting(Integer.parseInt(f[0]), e, Double.parseDouble(f[2]), lrMax, lrMin, rounds);
            var experiments = new QualitySimulation.Experiments(zero, precondition, feedback, adamTernary, lionBeta1,
                    lionBeta2, outerAdamW, totalMean);
            out.add(new Sweep(item.trim(), outerMean
                    ? new QualitySimulation.Setting(base.demo().withBlockSize(block), meanLr(lrMax, lrMin, rounds,
                    localSteps), weightDecay, experiments, new QualitySimulation.Mean(localSteps, outerLr))
                    : new QualitySimulation.Setting(base.demo().withBlockSize(block), base.lr(), weightDecay,
                    experiments)));
        }
        return out;
    }

    /// A coordinator and nodes over loopback TLS; the baseline then trains the committed batch ids.
    static void realRun(Options o, ModelConfig model, QualitySimulation sim, Sweep chosen, AdamW.Settings adam,
                        LrSchedule baseLr) throws Exception {
        Path dir = o.work().resolve("tls-" + System.currentTimeMillis());
        DemoConfig d = chosen.setting().demo();
        LrSchedule lr = chosen.setting().lr();
        QualitySimulation.Mean mean = chosen.setting().mean();
        int h = mean == null ? 1 : mean.localSteps();
        int rounds = o.rounds() / h;
        String outer = mean == null ? "outer = \"" + SignStep.NAME + "\""
                : "outer = \"%s\"\nlocal_steps = %d\nouter_lr = %s".formatted(MeanStep.NAME, h, mean.outerLr());
        RunConfig config = RunConfig.parse("""
                [run]
                id = "quality-bench"
                total_rounds = %d
                seed = %d
                [data]
                sequences_per_node = %d
                [demo]
                beta = %s
                block = %d
                top_k = %d
                encoding = "%s"
                [optimizer]
                %s
                lr_max = %s
                lr_min = %s
                warmup_rounds = %d
                weight_decay = %s
                [validation]
                loss_every_rounds = %d
                spot_check_fraction = 0.0
                [quorum]
                min_nodes = %d
                min_uploads = %d
                [deadline]
                min_seconds = %d
                max_seconds = %d
                [checkpoint]
                every_rounds = 50
                [server]
                port = 0
                http_port = 0
                """.formatted(rounds, o.seed(), o.seqs() * h, d.beta(), d.blockSize(), d.topK(),
                d.encoding().configName(), outer, lr.lrMax(), lr.lrMin(), lr.warmup(),
                chosen.setting().weightDecay(), rounds, o.nodes(), o.nodes(), REAL_ROUND_LIMIT.toSeconds(),
                REAL_ROUND_LIMIT.toSeconds()), "quality bench",
                Map.of("server.data_dir", new RunConfig.Override("quality bench", dir.resolve("coordinator"))));
        List<CoordinatorService.CommitEvent> commits = new CopyOnWriteArrayList<>();
        CountDownLatch finished = new CountDownLatch(rounds);
        long t0 = System.nanoTime();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            coordinator.onCommit(e -> {
                commits.add(e);
                finished.countDown();
            });
            String address = coordinator.address().toString();
            List<NodeRuntime> nodes = new ArrayList<>();
            try {
                for (int i = 0; i < o.nodes(); i++) {
                    NodeRuntime node = NodeRuntime.start(dir.resolve("node" + i), Clock.systemUTC(), true,
                            log -> new dev.hearth.node.AwayOwnerProbes("Benchmark: training on the CPU."));
                    node.joinRun(address);
                    nodes.add(node);
                }
                if (!finished.await(REAL_ROUND_LIMIT.toSeconds() * rounds, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the real run committed only " + commits.size() + " of "
                            + rounds + " rounds");
                }
            } finally {
                nodes.forEach(NodeRuntime::close);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<long[]> ids = committedIds(dir.resolve("coordinator").resolve("ledger.db"), rounds, h);
        double hearth = commits.getLast().valLoss();
        long bytesIn = commits.stream().mapToLong(CoordinatorService.CommitEvent::bytesIn).sum();
        long uploads = commits.stream().mapToLong(CoordinatorService.CommitEvent::updates).sum();
        int windows = ids.stream().mapToInt(a -> a.length).sum();
        var base = sim.baselineOn(ids, adam, baseLr);
        var simulated = sim.demo(chosen.setting(), QualitySimulation.Churn.NONE);
        double upload = (double) bytesIn / uploads;
        System.out.printf(Locale.ROOT, "real TLS run: %d nodes, %d rounds, %d uploads, %d windows committed, %.0f s%n",
                o.nodes(), commits.size(), uploads, windows, seconds);
        System.out.printf(Locale.ROOT, "  upload bytes per update on the wire %.0f (message incl. envelope), dense fp32 %d → %.1f×"
                        + " per update, %.1f× per token (%d local steps per upload)%n",
                upload, 4L * sim.layout().size(), 4.0 * sim.layout().size() / upload,
                4.0 * sim.layout().size() * h / upload, h);
        System.out.printf(Locale.ROOT, "  Hearth val %.4f, baseline on the committed ids %.4f, ratio %.4f; "
                + "simulation of the same setting %.4f (sim ÷ real %.4f)%n", hearth, base.valLoss(),
                hearth / base.valLoss(), simulated.valLoss(), simulated.valLoss() / hearth);
    }

    /// The baseline's batch ids, one array per dense step, from the ledger's committed rounds in round order: a
    /// round of `localSteps` inner steps becomes `localSteps` steps, step j taking the j-th share of every node's
    /// windows (node id, then id order; the node itself splits them in RoundStart's order, so the grouping differs
    /// while the tokens, the number of steps and the batch size are the same).
    static List<long[]> committedIds(Path ledger, int rounds, int localSteps) throws SQLException {
        List<long[]> out = new ArrayList<>();
        int committed = 0;
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + ledger);
             var q = c.prepareStatement("SELECT node_id, batch_id FROM committed_batches WHERE round = ?"
                     + " ORDER BY node_id, batch_id")) {
            var rs0 = c.createStatement().executeQuery("SELECT DISTINCT round FROM committed_batches ORDER BY round");
            List<Long> committedRounds = new ArrayList<>();
            while (rs0.next()) committedRounds.add(rs0.getLong(1));
            for (long r : committedRounds) {
                q.setLong(1, r);
                Map<String, List<Long>> byNode = new java.util.TreeMap<>();
                try (var rs = q.executeQuery()) {
                    while (rs.next()) byNode.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getLong(2));
                }
                for (int j = 0; j < localSteps; j++) {
                    List<Long> step = new ArrayList<>();
                    for (List<Long> ids : byNode.values()) {
                        step.addAll(ids.subList(j * ids.size() / localSteps, (j + 1) * ids.size() / localSteps));
                    }
                    out.add(step.stream().mapToLong(Long::longValue).toArray());
                }
                committed++;
            }
        }
        if (committed != rounds) {
            throw new IllegalStateException("ledger holds " + committed + " committed rounds, expected " + rounds);
        }
        return out;
    }

    static String fmt(List<Double> curve) {
        StringBuilder b = new StringBuilder();
        for (double v : curve) b.append(String.format(Locale.ROOT, "%.3f ", v));
        return b.toString().trim();
    }

    static Options parse(String[] args) throws IOException {
        String model = "nano";
        int rounds = FULL_ROUNDS;
        int nodes = NODES;
        int seqs = SEQS_PER_NODE;
        long seed = 1;
        String parts = "sweep,churn,tls";
        String sweep = "32:sign:0.999:0.001,16:sign:0.999:0.001,8:sign:0.999:0.001,4:sign:0.999:0.001,"
                + "32:fp16:0.999:0.001,32:sign:0.9:0.001,32:sign:0.999:0.003,16:sign:0.999:0.003,8:sign:0.999:0.003,"
                + "4:sign:0.999:0.003,8:sign:0.999:0.008,8:sign:0.999:0.012,8:sign:0.999:0.02";
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "hearth-quality-bench");
        int evalEvery = 0;
        int localSteps = 4;
        double baselineLr = 1e-3;
        double baselineVal = Double.NaN;
        String outerLrs = "0.002,0.004";
        boolean meanOuter = false;
        String localDemo = null;
        long[] seeds = new long[0];
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    System.out.println("""
                            Usage: QualityBench [--quick] [--model nano|small] [--rounds N] [--nodes N] [--seqs N] [--seed S]
                                                [--parts sweep,churn,tls] [--sweep k:enc:beta:lr,...] [--work DIR]
                              --quick   %d rounds instead of %d and a 2-setting sweep (under 20 minutes on a 2-core machine;
                                        the full bench is ~17 runs of %d rounds: hours on 2 shared cores)
                              --parts   which parts to run: sweep,churn,tls (default) and local (simulation only)
                              --sweep   DeMo settings of the sweep, each k:encoding:beta:lr_max[:lr_min[:zero_below]][:key=value...]
                                        (encoding sign|fp16; zero_below: simulation-only experiment, direction values
                                        under zero_below × the tensor's RMS get no step); keys: block=N (DCT chunk),
                                        wd=X (decoupled weight decay), and four simulation-only experiments: pre=β₂
                                        (nodes divide gradients by Adam's √v before compressing), ef=true (error-
                                        feedback sign at the coordinator), adam=β₂ (the coordinator
                                        sends sign(d) with probability |d|/√v̂: Adam's step in expectation),
                                        lion=β₁/β₂ (the coordinator keeps a momentum of the direction and steps by
                                        sign(β₁·M + (1−β₁)·d), Lion's update), outer=adamw (coordinator AdamW on
                                        the aggregate), mean=all (a coefficient's mean over all updates, not its
                                        senders); and the product's mean step: outer=mean h=H olr=X (H local AdamW
                                        steps per round, the lr fields are theirs, wd their decay; the coordinator
                                        applies X × the mean; H must divide --rounds, which counts the baseline's steps)
                              --model   nano (default) or small (~12× the compute per token)
                              --seeds a,b,c  run only the sweep, once per seed (each with its own baseline), and
                                        print every setting's ratio per seed and the mean
                              --eval-every N  validation loss every N rounds in the printed curves
                              --baseline-lr L  the dense AdamW baseline's peak lr (default 1e-3, nanoGPT's; cosine to L/10)
                              --baseline-val V  skip training the baseline of the sweep: its validation loss from an
                                        earlier run with the same rounds and seed (the runs are deterministic)
                              --local-steps H, --outer-lr a,b  part "local" (simulation only): H inner AdamW steps
                                        per round, DeMo-compressed pseudo-gradient, sign outer step at each outer lr
                              --outer sign|mean  part "local": the coordinator's step is the sign of the aggregate
                                        (default) or the aggregate itself × outer lr (DiLoCo's outer SGD)
                              --local-demo k:encoding:beta  part "local": the DeMo setting (default: the run's)
                            """.formatted(QUICK_ROUNDS, FULL_ROUNDS, FULL_ROUNDS));
                    return null;
                }
                case "--quick" -> {
                    rounds = QUICK_ROUNDS;
                    sweep = QUICK_SWEEP;
                }
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--nodes" -> nodes = Integer.parseInt(args[++i]);
                case "--seqs" -> seqs = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--seeds" -> seeds = java.util.Arrays.stream(args[++i].split(",")).mapToLong(Long::parseLong)
                        .toArray();
                case "--parts" -> parts = args[++i];
                case "--sweep" -> sweep = args[++i];
                case "--work" -> work = Path.of(args[++i]);
                case "--model" -> model = args[++i];
                case "--eval-every" -> evalEvery = Integer.parseInt(args[++i]);
                case "--local-steps" -> localSteps = Integer.parseInt(args[++i]);
                case "--baseline-lr" -> baselineLr = Double.parseDouble(args[++i]);
                case "--baseline-val" -> baselineVal = Double.parseDouble(args[++i]);
                case "--outer-lr" -> outerLrs = args[++i];
                case "--outer" -> meanOuter = OuterRule.byName(args[++i]).localSteps() > 0;
                case "--local-demo" -> localDemo = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--help lists them)");
            }
        }
        if (rounds < 3 || nodes < 1 || seqs < 1) {
            throw new IllegalArgumentException("need rounds ≥ 3, nodes ≥ 1, seqs ≥ 1");
        }
        return new Options(model, rounds, nodes, seqs, seed, List.of(parts.split(",")), work, sweep,
                evalEvery > 0 ? evalEvery : Math.max(1, rounds / 4), localSteps,
                java.util.Arrays.stream(outerLrs.split(",")).mapToDouble(Double::parseDouble).toArray(), meanOuter,
                localDemo, baselineLr, baselineVal, seeds);
    }
}
