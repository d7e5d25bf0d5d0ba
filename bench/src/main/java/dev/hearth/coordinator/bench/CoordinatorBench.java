package dev.hearth.coordinator.bench;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.ledger.Ledger;
import dev.hearth.coordinator.ledger.RoundStats;
import dev.hearth.coordinator.ledger.UpdateRecord;
import dev.hearth.coordinator.run.BatchRef;
import dev.hearth.coordinator.run.RoundCommit;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.coordinator.validation.UpdateAgreement;
import dev.hearth.engine.backend.BackendSelector;
import dev.hearth.engine.checkpoint.ParamsDigest;
import dev.hearth.engine.data.Batch;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.OuterRule;
import dev.hearth.engine.demo.RobustMode;
import dev.hearth.engine.demo.SignStep;
import dev.hearth.engine.demo.SparseUpdate;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.model.GptInit;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.engine.model.TrainingBackend;
import dev.hearth.node.Version;
import dev.hearth.protocol.client.ClientConfig;
import dev.hearth.protocol.client.ClientListener;
import dev.hearth.protocol.client.Disconnect;
import dev.hearth.protocol.client.HearthClient;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.Welcome;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/// `./hearth bench coordinator`: how far one coordinator goes on this machine.
///
/// - **connect**: a real {@link CoordinatorService} on loopback TLS and N simulated nodes, each a real
///   {@link HearthClient} with its own {@link NodeIdentity} (Ed25519 challenge handshake, heartbeats). The run's
///   quorum is set out of reach so no round opens: this measures holding connections, not training. Prints, per
///   step of the curve, the time until every client got its Welcome, the coordinator's open connection count,
///   heap and threads of the process.
/// - **commit**: the coordinator's commit path on model `small` (10.9M parameters) for N updates, stage by stage,
///   with the same calls the service makes: {@link UpdateCodec#decode} of every upload (the service does it on
///   receipt), the run's outer rule's {@link OuterRule#step} (aggregation + encoding) and {@link OuterRule#applyStep},
///   the agreement screen ({@link UpdateAgreement#screen}) and the health probe (one forward pass over
///   {@link CoordinatorService#PROBE_WINDOWS} windows), {@link dev.hearth.engine.checkpoint.ParamsDigest#sha256}, and the ledger's {@link Ledger#commitRound} (its batches and credits). The updates
///   are realistic in size and content: DeMo compressions of random gradients by a few distinct compressors,
///   cycled over the N senders, at the rule's run default top-k. `--outer mean` (the run default): k 64, the mean
///   over all updates + encoding in the step column, decode + inverse DCT + step in the apply column;
///   `--outer sign`: k 8, the mean over senders + inverse DCT + ternary signs in the step column.
public final class CoordinatorBench {

    /// Distinct compressed updates generated (compressing 10M params costs ~0.1 s of CPU each; senders cycle them).
    static final int DISTINCT_UPDATES = 8;
    /// Windows per node in the ledger rows (the run config's default sequences_per_node).
    static final int WINDOWS_PER_NODE = 8;
    /// How long to wait for every simulated node to be welcomed at one step of the connection curve.
    static final long CONNECT_WAIT_MILLIS = 180_000;
    /// After closing the simulated nodes, time for the coordinator to handle their Leave messages.
    static final long LEAVE_GRACE_MILLIS = 3_000;
    /// Default hold of the full connection count: three heartbeat intervals (15 s each).
    static final int DEFAULT_HOLD_SECONDS = 45;

    public static void main(String[] args) throws Exception {
        String parts = "connect,commit";
        String connectSteps = "100,250,500,1000";
        String commitSizes = "10,100,300,1000";
        int repeats = 2;
        OuterRule rule = OuterRule.runDefault();
        int hold = DEFAULT_HOLD_SECONDS;
        Path work = Path.of(System.getProperty("java.io.tmpdir"), "hearth-coordinator-bench");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    System.out.println("""
                            Usage: CoordinatorBench [--parts connect,commit] [--connect 100,250,500,1000]
                                                    [--commit 10,100,300,1000] [--repeats 2] [--hold S] [--quick]
                                                    [--outer mean|sign]
                                                    [--work DIR]
                              --connect  cumulative counts of simulated nodes connected over loopback TLS
                              --commit   updates per aggregation+commit on model small
                              --hold S   keep the last step's nodes connected S seconds, then count again (default %d)
                              --quick    connect 100,1000 and commit 100,1000, 1 repeat
                            """.formatted(DEFAULT_HOLD_SECONDS));
                    return;
                }
                case "--parts" -> parts = args[++i];
                case "--outer" -> rule = OuterRule.byName(args[++i]);
                case "--connect" -> connectSteps = args[++i];
                case "--commit" -> commitSizes = args[++i];
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--hold" -> hold = Integer.parseInt(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--quick" -> {
                    connectSteps = "100,1000";
                    commitSizes = "100,1000";
                    repeats = 1;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--help lists them)");
            }
        }
        Files.createDirectories(work);
        System.out.printf(Locale.ROOT, "# Hearth coordinator bench: %d CPUs, max heap %d MiB%n",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        if (parts.contains("commit")) {
            commit(work, ints(commitSizes), repeats, rule);
        }
        if (parts.contains("connect")) {
            connect(work, ints(connectSteps), hold);
        }
    }

    static int[] ints(String csv) {
        String[] f = csv.split(",");
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) out[i] = Integer.parseInt(f[i].trim());
        return out;
    }

    // ---- connections -----------------------------------------------------------------------------------------

    static void connect(Path work, int[] steps, int holdSeconds) throws Exception {
        Path dir = work.resolve("connect-" + System.currentTimeMillis());
        RunConfig config = RunConfig.parse("""
                [run]
                id = "coordinator-bench"
                [quorum]
                min_nodes = 100000
                [validation]
                loss_every_rounds = 0
                [server]
                port = 0
                http_port = 0
                """, "coordinator bench", Map.of("server.data_dir",
                new RunConfig.Override("coordinator bench", dir)));
        AtomicInteger welcomed = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<HearthClient> clients = new ArrayList<>();
        System.out.println("| nodes | time to welcome the step's new nodes | open connections | heap used MiB | threads |");
        System.out.println("|---:|---:|---:|---:|---:|");
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            var address = coordinator.address();
            Hello hello = Hello.newBuilder().setClientVersion(Version.CURRENT).setBackend("simulated").build();
            try {
                for (int target : steps) {
                    long t0 = System.nanoTime();
                    while (clients.size() < target) {
                        HearthClient c = new HearthClient(ClientConfig.of(address, hello), NodeIdentity.generate(),
                                new ClientListener() {
                                    boolean seen;

                                    @Override
                                    public void onWelcome(Welcome welcome) {
                                        if (!seen) {
                                            seen = true;
                                            welcomed.incrementAndGet();
                                        }
                                    }

                                    @Override
                                    public void onMessage(Envelope envelope) {}

                                    @Override
                                    public void onDisconnected(Disconnect disconnect) {
                                        if (refused.incrementAndGet() <= 3) {
                                            System.out.println("disconnect: " + disconnect);
                                        }
                                    }
                                });
                        c.start();
                        clients.add(c);
                    }
                    long deadline = System.currentTimeMillis() + CONNECT_WAIT_MILLIS;
                    while (welcomed.get() < target && System.currentTimeMillis() < deadline) {
                        Thread.sleep(50);
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    System.gc();
                    var rt = Runtime.getRuntime();
                    System.out.printf(Locale.ROOT, "| %d | %.1f s (%d welcomed, %d disconnects) | %d | %d | %d |%n",
                            target, seconds, welcomed.get(), refused.get(), coordinator.stats() == null ? -1
                                    : connectionCount(coordinator), (rt.totalMemory() - rt.freeMemory()) >> 20,
                            ManagementFactory.getThreadMXBean().getThreadCount());
                    if (welcomed.get() < target) {
                        System.out.println("stopped: not every node was welcomed within " + CONNECT_WAIT_MILLIS / 1000 + " s");
                        break;
                    }
                }
                if (holdSeconds > 0) {
                    // past several heartbeat intervals: the coordinator keeps idle nodes, none is timed out
                    Thread.sleep(holdSeconds * 1000L);
                    System.out.printf(Locale.ROOT, "after holding %d s: %d open connections, %d disconnects%n",
                            holdSeconds, connectionCount(coordinator), refused.get());
                }
            } finally {
                clients.parallelStream().forEach(HearthClient::close);
                Thread.sleep(LEAVE_GRACE_MILLIS); // let the coordinator see the Leaves before it shuts down
            }
        }
        System.out.println("(one HearthClient = one event-loop thread in this process: the thread count is the simulated"
                + " nodes', the coordinator's own are its Netty workers plus a few)");
    }

    static int connectionCount(CoordinatorService coordinator) {
        return coordinator.connectionCount();
    }

    // ---- aggregation + commit --------------------------------------------------------------------------------

    /// The commit path under `rule` (its default settings) at the rule's scheduled rate of 1e-3.
    static void commit(Path work, int[] sizes, int repeats, OuterRule rule) throws Exception {
        ModelConfig model = ModelConfig.small();
        ParameterLayout layout = ParameterLayout.gpt(model);
        DemoConfig demo = DemoConfig.defaults().withTopK(rule.defaults().topK());
        DemoBlocking blocking = new DemoBlocking(layout, demo);
        float lr = rule.commitLr(1e-3f);
        System.out.println("# outer step: " + rule.name() + " (k " + demo.topK() + ", commit lr " + lr + ")");
        long t0 = System.nanoTime();
        List<byte[]> wire = new ArrayList<>();
        Random rnd = new Random(7);
        float[] grad = new float[layout.size()];
        for (int u = 0; u < DISTINCT_UPDATES; u++) {
            DemoCompressor c = new DemoCompressor(layout, demo);
            for (int i = 0; i < grad.length; i++) grad[i] = (float) (rnd.nextGaussian() * 1e-3);
            wire.add(UpdateCodec.encode(c.compress(grad), demo.encoding()));
        }
        System.out.printf(Locale.ROOT, "model small: %d params, update %d bytes on the wire (%.1f× smaller than fp32); "
                        + "%d distinct updates made in %.1f s%n", layout.size(), wire.getFirst().length,
                4.0 * layout.size() / wire.getFirst().length, DISTINCT_UPDATES, (System.nanoTime() - t0) / 1e9);
        float[] base = GptInit.init(model, 1);
        // Untimed warm-up of every stage (JIT, the SQLite driver): the first timed size is not a cold start.
        List<SparseUpdate> warm = new ArrayList<>();
        for (byte[] w : wire) warm.add(UpdateCodec.decode(w, layout, demo));
        long[] warmWeights = new long[warm.size()];
        java.util.Arrays.fill(warmWeights, 1);
        rule.applyStep(blocking, base.clone(), rule.step(blocking, warm, warmWeights, RobustMode.NONE), lr);
        ParamsDigest.sha256(base);
        ledgerCommit(work, warm.size(), model.context());
        boolean[] warmAll = new boolean[warm.size()];
        java.util.Arrays.fill(warmAll, true);
        UpdateAgreement.screen(warm, warmAll, rule.agreementFraction());
        // The health probe's forward pass: CoordinatorService.PROBE_WINDOWS windows (random tokens: the cost does not
        // depend on the text), on the backend the coordinator evaluates with.
        int probeTokens = CoordinatorService.PROBE_WINDOWS * model.context();
        int[] probeInputs = new int[probeTokens];
        int[] probeTargets = new int[probeTokens];
        for (int i = 0; i < probeTokens; i++) {
            probeInputs[i] = rnd.nextInt(model.vocab());
            probeTargets[i] = rnd.nextInt(model.vocab());
        }
        Batch probeBatch = new Batch(CoordinatorService.PROBE_WINDOWS, model.context(), probeInputs, probeTargets);
        try (TrainingBackend evaluator = BackendSelector.select(model).backend()) {
            evaluator.loss(base, probeBatch);
            System.out.println("| updates | decode all | step (aggregate + encode) | agreement screen | apply | health probe"
                    + " | SHA-256 | ledger commit | commit (excl. decode) |");
            System.out.println("(each cell: wall ms / process CPU ms)");
            System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (int n : sizes) {
                double[] best = null;
                double[] bestCpu = null;
                double[] cpuBy = null;
                for (int rep = 0; rep < repeats; rep++) {
                    double[] ms = new double[7];
                    double[] cpu = new double[7];
                    long c = processCpuNanos();
                    long s = System.nanoTime();
                    List<SparseUpdate> updates = new ArrayList<>(n);
                    for (int u = 0; u < n; u++) updates.add(UpdateCodec.decode(wire.get(u % wire.size()), layout, demo));
                    ms[0] = lap(s);
                    cpu[0] = cpuLap(c);
                    long[] weights = new long[n];
                    java.util.Arrays.fill(weights, (long) WINDOWS_PER_NODE * model.context());
                    c = processCpuNanos();
                    s = System.nanoTime();
                    byte[] step = rule.step(blocking, updates, weights, RobustMode.NONE);
                    ms[1] = lap(s);
                    cpu[1] = cpuLap(c);
                    boolean[] all = new boolean[n];
                    java.util.Arrays.fill(all, true);
                    c = processCpuNanos();
                    s = System.nanoTime();
                    UpdateAgreement.screen(updates, all, rule.agreementFraction());
                    ms[2] = lap(s);
                    cpu[2] = cpuLap(c);
                    c = processCpuNanos();
                    s = System.nanoTime();
                    float[] next = base.clone();
                    rule.applyStep(blocking, next, step, lr);
                    ms[3] = lap(s);
                    cpu[3] = cpuLap(c);
                    c = processCpuNanos();
                    s = System.nanoTime();
                    evaluator.loss(next, probeBatch);
                    ms[6] = lap(s);
                    cpu[6] = cpuLap(c);
                    c = processCpuNanos();
                    s = System.nanoTime();
                    ParamsDigest.sha256(next);
                    ms[4] = lap(s);
                    cpu[4] = cpuLap(c);
                    c = processCpuNanos();
                    ms[5] = ledgerCommit(work, n, model.context());
                    cpu[5] = cpuLap(c);
                    cpuBy = cpu;
                    updates.clear();
                    if (best == null || ms[1] + ms[5] < best[1] + best[5]) {
                        best = ms;
                        bestCpu = cpuBy;
                    }
                }
                double total = best[1] + best[2] + best[3] + best[4] + best[5] + best[6];
                double totalCpu = bestCpu[1] + bestCpu[2] + bestCpu[3] + bestCpu[4] + bestCpu[5] + bestCpu[6];
                System.out.printf(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s | %s | **%s** |%n", n,
                        two(best[0], bestCpu[0]), two(best[1], bestCpu[1]), two(best[2], bestCpu[2]),
                        two(best[3], bestCpu[3]), two(best[6], bestCpu[6]), two(best[4], bestCpu[4]),
                        two(best[5], bestCpu[5]), two(total, totalCpu));
            }
        }
        System.out.println("(decode and the ledger's upload row happen on receipt of each upload in the service, not in the "
                + "commit; the apply column includes the copy of the parameters)");
    }

    /// The commit transaction of one round with n accepted updates (its version, n × 8 batch rows, credits), timed
    /// after the upload rows were written (on receipt, as the service does).
    static double ledgerCommit(Path work, int n, int context) throws Exception {
        Path file = work.resolve("ledger-" + n + "-" + System.nanoTime() + ".db");
        try (Ledger ledger = Ledger.open(file)) {
            Instant now = Instant.now();
            ledger.bindRun("bench", "bench", 10_000_000L, 1, now);
            Map<String, List<BatchRef>> committed = new HashMap<>();
            Map<String, Long> tokens = new HashMap<>();
            long id = 0;
            for (int u = 0; u < n; u++) {
                String node = String.format(Locale.ROOT, "%064x", u);
                ledger.nodeSeen(node, null, now);
                List<BatchRef> refs = new ArrayList<>();
                for (int w = 0; w < WINDOWS_PER_NODE; w++) refs.add(new BatchRef(0, id++));
                committed.put(node, refs);
                tokens.put(node, (long) WINDOWS_PER_NODE * context);
            }
            ledger.roundOpened(0, 0, now, now.plusSeconds(60));
            // the upload rows are written on receipt, one per upload, like the decode: not part of the commit
            for (var e : tokens.entrySet()) {
                ledger.recordUpdate(new UpdateRecord(0, e.getKey(), true, "accepted", 230_000, e.getValue(), 1.0, now));
            }
            long s = System.nanoTime();
            ledger.commitRound(new RoundCommit(0, 0, 1, now, Instant.now(), committed, tokens, List.of()),
                    new RoundStats(3.0, Double.NaN, 0, 230_000L * n, 0), Map.of());
            return lap(s);
        } finally {
            for (String suffix : new String[] {"", "-wal", "-shm"}) {
                Files.deleteIfExists(Path.of(file + suffix));
            }
        }
    }

    static String two(double wall, double cpu) {
        return String.format(Locale.ROOT, "%.0f / %.0f", wall, cpu);
    }

    static double cpuLap(long startCpu) {
        return (processCpuNanos() - startCpu) / 1e6;
    }

    static double lap(long start) {
        return (System.nanoTime() - start) / 1e6;
    }

    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
