package dev.hearth.node.cli;

import dev.hearth.node.NodeRuntime;
import dev.hearth.node.Probes;
import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.NodeService;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.history.HistoryStore;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.settings.DataDirs;
import dev.hearth.protocol.RunAddress;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/// `./hearth node` — the headless node — and `./hearth status`.
public final class NodeMain {

    static final String HELP = """
            Usage: ./hearth node [options]
                   ./hearth pause | resume | snooze 1h | finish | status [--json]   (./hearth pause --help)

            Runs the Hearth node without a window: joins a training run, trains the batches it is
            assigned while the machine may be used, and uploads compressed updates.

            Options:
              --coordinator ADDR   join the run at ADDR: hearth://host:port#sha256=<certificate fingerprint>
              --demo               start the local run (a coordinator in this process on loopback, bundled
                                   corpus); trains even while you use the machine unless --when-idle is given
              --data-dir D         keep everything (identity key, settings, history, checkpoints, trainer
                                   state) under D instead of the user data directory
              --always             contribute whenever the node runs (saved in the settings)
              --when-idle          contribute only when the owner is idle (saved in the settings; the default)
              --rounds N           exit with status 0 after N rounds were recorded
              --device D           where to train: auto (a usable NVIDIA GPU, else the CPU; the default),
                                   cpu, or a GPU's index (0, 1, ...: that card or the CPU); saved in the settings
              --cpu-cores N        when training on the CPU, use at most N cores (all: every core, the
                                   default); saved in the settings
              --cpu-percent P      when training on the CPU, use at most P % of those cores' time (1..100;
                                   the trainer sleeps between micro-batches); saved in the settings
              --in-process-worker  train inside this JVM instead of a child process (tests and debugging)
              --verbose            print debug log lines
              -h, --help           this text

            Without --coordinator or --demo the node joins the run saved in its settings (the local run
            on a fresh install). Ctrl-C stops it cleanly: the trainer saves its state and the history
            records why the session ended.
            """;

    private NodeMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length > 0 && (ControlCommand.VERBS.contains(args[0]) || args[0].equals("status"))) {
            return ControlCommand.run(args, out, err);
        }
        Path dataDir = null;
        String coordinator = null;
        boolean demo = false, inProcess = false, verbose = false, status = false;
        NodeSettings.Policy policy = null;
        Integer gpuIndex = null;
        Integer cpuCores = null, cpuPercent = null;
        int rounds = 0;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "-h", "--help" -> {
                        out.print(HELP);
                        return 0;
                    }
                    case "status" -> status = true;
                    case "--coordinator" -> coordinator = value(args, ++i, "--coordinator");
                    case "--demo" -> demo = true;
                    case "--data-dir" -> dataDir = Path.of(value(args, ++i, "--data-dir"));
                    case "--always" -> policy = NodeSettings.Policy.ALWAYS;
                    case "--when-idle" -> policy = NodeSettings.Policy.WHEN_IDLE;
                    case "--rounds" -> {
                        rounds = Integer.parseInt(value(args, ++i, "--rounds"));
                        if (rounds < 1) throw new IllegalArgumentException("--rounds must be at least 1");
                    }
                    case "--device" -> gpuIndex = NodeSettings.gpuIndexOf(value(args, ++i, "--device"));
                    case "--cpu-cores" -> cpuCores = cpuCoresOf(value(args, ++i, "--cpu-cores"));
                    case "--cpu-percent" -> cpuPercent = wholeNumber(value(args, ++i, "--cpu-percent"), "--cpu-percent");
                    case "--in-process-worker" -> inProcess = true;
                    case "--verbose" -> verbose = true;
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
            }
            if (demo && coordinator != null) throw new IllegalArgumentException("choose --demo or --coordinator, not both");
            if (coordinator != null) RunAddress.parse(coordinator); // a bad address fails here, readably
        } catch (IllegalArgumentException e) {
            err.println("hearth node: " + e.getMessage());
            err.println("Try ./hearth node --help");
            return 2;
        }
        if (dataDir == null) dataDir = DataDirs.userDataDir();
        if (status) return StatusCommand.print(dataDir, out, err);

        NodeRuntime node;
        try {
            DataDirs.ensure(dataDir);
            prepareSettings(dataDir, coordinator, demo, policy, gpuIndex, cpuCores, cpuPercent);
            node = NodeRuntime.start(dataDir, Clock.systemUTC(), inProcess, Probes::forThisMachine);
            if (demo && policy == null) node.overridePolicy(NodeSettings.Policy.ALWAYS); // this session only
            node.joinConfiguredRun();
        } catch (Exception e) {
            err.println("hearth node: " + e.getMessage());
            return 1;
        }
        boolean debug = verbose;
        node.eventLog().addListener(e -> {
            if (debug || e.level().compareTo(LogEntry.Level.INFO) >= 0) {
                out.printf("%s %-5s %-8s %s%n", e.at().toString().substring(11, 19), e.level(), e.source(), e.message());
            }
        }, Runnable::run);
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger recorded = new AtomicInteger();
        int wanted = rounds;
        node.addListener(new NodeService.Listener() {
            @Override
            public void onRoundRecorded(RoundRecord r) {
                out.printf("round %d: %d tokens, loss %.4f, %.1f s, up %s, down %s, %s, credits %s%n",
                        r.round(), r.tokens(), r.localLoss(), r.computeSeconds(), human(r.bytesUp()),
                        human(r.bytesDown()), r.accepted() ? "accepted" : "rejected (" + r.rejectReason() + ")",
                        dev.hearth.node.api.Units.credits(r.credits()));
                if (wanted > 0 && recorded.incrementAndGet() >= wanted) done.countDown();
            }
        }, Runnable::run);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> node.close("stopped (signal)"), "hearth-shutdown"));
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ContributionHistory.Totals t = node.history().totals();
        out.printf("done: %d rounds recorded (%d accepted), %d tokens, %s sent, %s credits; history in %s%n",
                t.roundsAccepted() + t.roundsRejected(), t.roundsAccepted(), t.tokens(), human(t.bytesUp()),
                dev.hearth.node.api.Units.credits(t.credits()),
                node.dataDir().resolve(HistoryStore.FILE_NAME));
        node.close("finished " + wanted + " rounds");
        return 0;
    }

    private static void prepareSettings(Path dataDir, String coordinator, boolean demo, NodeSettings.Policy policy,
                                        Integer gpuIndex, Integer cpuCores, Integer cpuPercent) throws Exception {
        var store = new dev.hearth.node.settings.SettingsStore(dataDir, new EventLog(Clock.systemUTC()), Clock.systemUTC());
        NodeSettings s = store.load().settings();
        String address = coordinator != null ? coordinator : demo ? "local" : s.runAddress();
        NodeSettings.Policy p = policy != null ? policy : s.policy();
        NodeSettings next = s.toBuilder().policy(p).runAddress(address)
                .gpuIndex(gpuIndex != null ? gpuIndex : s.gpuIndex())
                .cpuCores(cpuCores != null ? cpuCores : s.cpuCores())
                .cpuPercent(cpuPercent != null ? cpuPercent : s.cpuPercent()).build();
        try {
            store.save(next);
        } catch (InvalidSettingException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /// `--cpu-cores`: `all` (every core) or a number of cores.
    static int cpuCoresOf(String v) {
        return v.strip().equalsIgnoreCase("all") ? NodeSettings.CPU_CORES_ALL : wholeNumber(v, "--cpu-cores");
    }

    private static int wholeNumber(String v, String option) {
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + v + "': expected a whole number");
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    /// Sizes as everywhere else in Hearth ([dev.hearth.node.api.Units]: binary, IEC symbols).
    static String human(long bytes) {
        return dev.hearth.node.api.Units.bytes(bytes);
    }

    static boolean exists(Path p) {
        return Files.exists(p);
    }
}
