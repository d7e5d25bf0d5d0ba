package dev.hearth.coordinator.bench;

import dev.hearth.coordinator.ledger.BatchAudit;
import dev.hearth.coordinator.ledger.Ledger;
import dev.hearth.coordinator.run.BatchPool;
import dev.hearth.coordinator.run.BatchRef;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/// Issue 8's fault tests with real processes: a `./hearth coordinator` and several `./hearth node`s as child
/// JVMs on loopback. Nodes are killed with SIGKILL while a round is open (and restarted on the same data
/// dir); the coordinator is killed with SIGKILL while a round is open and restarted on the same data dir and
/// port. Afterwards the ledger proves that no batch was committed twice and none was lost.
///
/// "Lost" is measured against the pool's seeded order: every id before the furthest committed position that is
/// not committed was taken and never came back. The last coordinator restart is followed by at least
/// {@link #CALM_ROUNDS} rounds without faults, so ids returned by the last faults are retrained (they go to the
/// front of the pool), which makes 0 the exact expectation.
public final class ProcessFaultScenario {

    /// The shape of a run. The run has no fixed length: the node kills come first (spread over the coordinator's
    /// lifetimes), the last coordinator restart sets the run to end `roundsAfter` committed rounds later.
    ///
    /// @param nodes               node processes
    /// @param nodeKills           SIGKILLs of a node while a round is open
    /// @param coordinatorRestarts SIGKILLs of the coordinator while a round is open, each followed by a restart (≥ 1)
    /// @param roundsAfter         rounds committed after the last restart (≥ {@link #CALM_ROUNDS}, so that batches
    ///                            returned by the last faults are retrained)
    public record Shape(int nodes, int nodeKills, int coordinatorRestarts, int roundsAfter) {
        public Shape {
            if (nodes < 2 || nodeKills < 0 || coordinatorRestarts < 1 || roundsAfter < CALM_ROUNDS) {
                throw new IllegalArgumentException("bad fault scenario shape");
            }
        }
    }

    /// One coordinator restart: the last version the dying coordinator logged as committed, and the version the
    /// new one said it resumed from.
    public record Restart(long lastLoggedCommit, long resumedFrom) {}

    /// What a run gave.
    ///
    /// @param nodeKills         SIGKILLs of nodes done
    /// @param restarts          coordinator restarts done
    /// @param roundsCommitted   the ledger's last version
    /// @param batchesCommitted  ids in the ledger
    /// @param batchesLost       ids taken and never committed nor retrained (see the class comment)
    /// @param duplicates        ids committed twice (the audit's count)
    /// @param auditProblems     the audit's findings
    /// @param finished          the coordinator reached the last round and exited 0
    /// @param coordinatorStackTraces coordinator logs that contain a stack trace (a fault must be reported, not crash)
    /// @param nodeDatabases     each node's history database after the kills and SQLite's `integrity_check` of it
    public record Outcome(int nodeKills, List<Restart> restarts, long roundsCommitted, long batchesCommitted,
                          long batchesLost, long duplicates, List<String> auditProblems, boolean finished,
                          Duration took, List<String> coordinatorStackTraces, List<String> nodeDatabases,
                          String coordinatorLogTail) {
        public int faultsInjected() {
            return nodeKills + restarts.size();
        }
    }

    /// Rounds without faults at the end (see the class comment).
    static final int CALM_ROUNDS = 3;
    /// The first coordinator's run length: longer than any scenario (the last restart sets the real end).
    static final long OPEN_ENDED_ROUNDS = 100_000;
    /// The kill lands this long after the round opened: the node has its batches and is training.
    static final int KILL_DELAY_MIN_MILLIS = 200;
    static final int KILL_DELAY_SPREAD_MILLIS = 500;
    /// How often the scenario reads the logs.
    static final long POLL_MILLIS = 100;
    static final String COORDINATOR_MAIN = "dev.hearth.coordinator.CoordinatorMain";
    static final String NODE_MAIN = "dev.hearth.node.cli.NodeMain";
    static final long SEED = 3;

    private static final Pattern OPEN = Pattern.compile("round (\\d+) open: (\\d+) node\\(s\\)");
    private static final Pattern COMMITTED = Pattern.compile("round \\d+ committed as version (\\d+)");
    private static final Pattern RESUMED = Pattern.compile("resumed from checkpoint version (\\d+)");
    private static final Pattern ADDRESS = Pattern.compile("(hearth://\\S+#sha256=[0-9a-f]{64})");
    private static final Pattern NODE_ROUND = Pattern.compile("(?m)^round \\d+: ");

    private final Shape shape;
    private final Path dir;
    private final SplittableRandom random = new SplittableRandom(SEED);
    private final int port;
    private ChildJvm coordinator;
    private int coordinatorIncarnation;
    private final ChildJvm[] nodes;
    private final int[] nodeIncarnation;

    private ProcessFaultScenario(Shape shape, Path dir) throws IOException {
        this.shape = shape;
        this.dir = dir;
        this.nodes = new ChildJvm[shape.nodes()];
        this.nodeIncarnation = new int[shape.nodes()];
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            this.port = s.getLocalPort(); // fixed across coordinator restarts: nodes reconnect to the same address
        }
    }

    /// Runs the scenario in `dir`, bounded by `timeout`; every child process is stopped before it returns.
    public static Outcome run(Shape shape, Path dir, Duration timeout) throws Exception {
        return new ProcessFaultScenario(shape, dir).go(timeout);
    }

    private Path coordinatorDir() {
        return dir.resolve("coordinator");
    }

    private Outcome go(Duration timeout) throws Exception {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        Files.createDirectories(dir);
        Path toml = dir.resolve("run.toml");
        Files.writeString(toml, """
                [run]
                id = "faults"
                total_rounds = %d
                seed = %d
                [data]
                sequences_per_node = 8
                [optimizer]
                warmup_rounds = 0
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 0
                [quorum]
                min_nodes = 1
                min_uploads = %d
                [deadline]
                min_seconds = 20
                max_seconds = 60
                [checkpoint]
                every_rounds = 1
                [server]
                port = %d
                http_port = 0
                data_dir = "%s"
                """.formatted(OPEN_ENDED_ROUNDS, SEED, shape.nodes(), port,
                coordinatorDir().toAbsolutePath().toString().replace("\\", "\\\\")));
        List<Restart> restarts = new ArrayList<>();
        int kills = 0;
        boolean finished = false;
        try {
            String address = startCoordinator(toml, deadline, OPEN_ENDED_ROUNDS);
            for (int i = 0; i < nodes.length; i++) startNode(i, address);
            int seenOpen = 0;
            long committedBefore = 0;
            int victim = 0;
            while (System.nanoTime() < deadline) {
                String log = coordinator.output();
                if (log.contains("Run finished at version")) {
                    finished = coordinator.waitFor(ChildJvm.EXIT_WAIT_SECONDS) == 0;
                    break;
                }
                if (!coordinator.alive()) throw new IllegalStateException("the coordinator died:\n" + tail(log));
                List<long[]> opens = all(OPEN, log, 2);
                long committed = last(COMMITTED, log);
                if (opens.size() > seenOpen) {
                    seenOpen = opens.size();
                    int assigned = (int) opens.getLast()[1];
                    int r = restarts.size();
                    boolean wantRestart = r < shape.coordinatorRestarts()
                            && kills >= (long) shape.nodeKills() * (r + 1) / shape.coordinatorRestarts();
                    if (wantRestart && committed >= 1) {
                        Thread.sleep(KILL_DELAY_MIN_MILLIS + random.nextInt(KILL_DELAY_SPREAD_MILLIS));
                        coordinator.kill9();
                        long lastLogged = Math.max(committedBefore, last(COMMITTED, coordinator.output()));
                        boolean lastRestart = r + 1 == shape.coordinatorRestarts();
                        long total = lastLogged + 1 + (lastRestart ? shape.roundsAfter() : OPEN_ENDED_ROUNDS);
                        startCoordinator(toml, deadline, total);
                        long resumed = last(RESUMED, coordinator.output());
                        restarts.add(new Restart(lastLogged, resumed));
                        committedBefore = lastLogged;
                        seenOpen = 0;
                    } else if (kills < shape.nodeKills()) {
                        List<Integer> warm = new ArrayList<>();
                        for (int i = 0; i < nodes.length; i++) if (warm(i)) warm.add(i);
                        if (warm.size() >= 2 && assigned >= warm.size()) {
                            int v = warm.get(victim++ % warm.size());
                            Thread.sleep(KILL_DELAY_MIN_MILLIS + random.nextInt(KILL_DELAY_SPREAD_MILLIS));
                            nodes[v].kill9();
                            kills++;
                            startNode(v, address);
                        }
                    }
                }
                Thread.sleep(POLL_MILLIS);
            }
        } finally {
            for (ChildJvm n : nodes) if (n != null) n.close();
            if (coordinator != null) coordinator.close();
        }
        return audit(kills, restarts, finished, Duration.ofNanos(System.nanoTime() - start));
    }

    /// Whether node `i`'s current process has recorded a round (it is joined, has the model and trains).
    private boolean warm(int i) {
        return nodes[i].alive() && NODE_ROUND.matcher(nodes[i].output()).find();
    }

    private String startCoordinator(Path toml, long deadline, long totalRounds) throws Exception {
        coordinator = ChildJvm.start(COORDINATOR_MAIN, List.of("--config", toml.toString(), "--rounds",
                        String.valueOf(totalRounds)),
                dir.resolve("logs").resolve("coordinator-" + coordinatorIncarnation++ + ".log"));
        while (System.nanoTime() < deadline) {
            String out = coordinator.output();
            Matcher m = ADDRESS.matcher(out);
            if (m.find()) return m.group(1);
            if (!coordinator.alive()) throw new IllegalStateException("the coordinator did not start:\n" + tail(out));
            Thread.sleep(POLL_MILLIS);
        }
        throw new IllegalStateException("the coordinator printed no address in time:\n" + tail(coordinator.output()));
    }

    private void startNode(int i, String address) throws IOException {
        nodes[i] = ChildJvm.start(NODE_MAIN, List.of("--coordinator", address, "--always", "--rounds", "100000",
                        "--in-process-worker", "--data-dir", dir.resolve("node" + i).toString()),
                dir.resolve("logs").resolve("node" + i + "-" + nodeIncarnation[i]++ + ".log"));
    }

    private Outcome audit(int kills, List<Restart> restarts, boolean finished, Duration took) {
        String tail = coordinator == null ? "" : tail(coordinator.output());
        try (Ledger ledger = Ledger.open(coordinatorDir().resolve("ledger.db"))) {
            BatchAudit audit = ledger.auditBatches();
            Map<Integer, BitSet> committed = ledger.committedBatchesForRestore(audit.trainWindows());
            long count = committed.values().stream().mapToLong(BitSet::cardinality).sum();
            return new Outcome(kills, restarts, ledger.position().lastVersion(), count,
                    lost(audit.trainWindows(), committed), audit.duplicates(), audit.problems(), finished, took,
                    stackTraces(), nodeDatabases(), tail);
        }
    }

    /// `PRAGMA integrity_check` of every node's history database (the nodes were killed while writing it).
    private List<String> nodeDatabases() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < nodes.length; i++) {
            Path db = dir.resolve("node" + i).resolve("history.db");
            if (!Files.exists(db)) {
                out.add("node" + i + ": no history.db");
                continue;
            }
            try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
                 var rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
                out.add("node" + i + ": " + (rs.next() ? rs.getString(1) : "no answer"));
            } catch (java.sql.SQLException e) {
                out.add("node" + i + ": " + e.getMessage());
            }
        }
        return out;
    }

    private List<String> stackTraces() {
        List<String> out = new ArrayList<>();
        try (var logs = Files.list(dir.resolve("logs"))) {
            for (Path p : logs.filter(p -> p.getFileName().toString().startsWith("coordinator")).toList()) {
                if (Files.readString(p).contains("\tat ")) out.add(p.toString());
            }
        } catch (IOException e) {
            out.add("cannot read the logs: " + e.getMessage());
        }
        return out;
    }

    /// Ids before the furthest committed position of epoch 0's seeded order that are not committed.
    static long lost(long trainWindows, Map<Integer, BitSet> committed) {
        if (committed.keySet().stream().anyMatch(e -> e != 0)) {
            throw new IllegalStateException("the scenario is meant to stay within the first pass over the corpus");
        }
        BitSet ids = committed.getOrDefault(0, new BitSet());
        int n = (int) Math.min(trainWindows, ids.cardinality() * 2L + 1_000);
        List<BatchRef> order = new BatchPool(trainWindows, SEED).take(n);
        int furthest = -1;
        for (int i = 0; i < order.size(); i++) if (ids.get((int) order.get(i).id())) furthest = i;
        long gaps = 0;
        for (int i = 0; i <= furthest; i++) if (!ids.get((int) order.get(i).id())) gaps++;
        return gaps;
    }

    private static List<long[]> all(Pattern p, String text, int groups) {
        List<long[]> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            long[] g = new long[groups];
            for (int i = 0; i < groups; i++) g[i] = Long.parseLong(m.group(i + 1));
            out.add(g);
        }
        return out;
    }

    private static long last(Pattern p, String text) {
        Matcher m = p.matcher(text);
        long v = -1;
        while (m.find()) v = Long.parseLong(m.group(1));
        return v;
    }

    static String tail(String log) {
        String[] lines = log.split("\n");
        return String.join("\n", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 25), lines.length));
    }
}
