package dev.hearth.coordinator.bench;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.ledger.LeaderboardEntry;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.engine.data.Corpus;
import dev.hearth.protocol.RunAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/// Issue 8's Byzantine case: a `nano` run over loopback TLS where a quarter of the nodes cheat (one flips the
/// sign of its real update, one uploads random values or a 100× scaled update, alternating per node), with the
/// run's defences on (trimmed mean, spot checks on every update, the norm bound) or off (plain mean, no spot
/// checks, no effective norm bound). The figure is the final validation loss against the clean run's.
public final class ByzantineScenario {

    /// Defences of a run.
    public enum Defences {
        /// Trimmed mean, every update spot-checked, norm bound 5× the median.
        ON("trimmed_mean", 1.0, 5.0),
        /// Plain token-weighted mean, no spot checks, norm bound 10⁶× the median (the config's maximum: off).
        OFF("mean", 0.0, 1_000_000);

        final String robust;
        final double spotFraction;
        final double normFactor;

        Defences(String robust, double spotFraction, double normFactor) {
            this.robust = robust;
            this.spotFraction = spotFraction;
            this.normFactor = normFactor;
        }
    }

    /// The shape of a scenario run.
    ///
    /// @param nodes    nodes in the run (all join before round 1)
    /// @param cheaters how many of them cheat (the first `cheaters` nodes)
    /// @param rounds   committed versions
    /// @param sequencesPerNode windows of 128 tokens per node per round
    public record Shape(int nodes, int cheaters, int rounds, int sequencesPerNode) {
        public Shape {
            if (nodes < 1 || cheaters < 0 || cheaters >= nodes || rounds < 1 || sequencesPerNode < 1) {
                throw new IllegalArgumentException("bad scenario shape " + nodes + "/" + cheaters + "/" + rounds);
            }
        }
    }

    /// What one node did.
    ///
    /// @param spotChecks   spot checks of its updates
    /// @param strikes      of those, how many were strikes
    /// @param meanLossRise mean relative loss change on its own batch when its update was applied alone
    public record NodeOutcome(String name, ProtocolNode.Behaviour behaviour, String nodeId, int accepted, int rejected,
                              long ledgerCredits, boolean quarantined, int shaMismatches, String failure,
                              int spotChecks, int strikes, double meanLossRise) {}

    /// What a run gave.
    ///
    /// @param finalValidationLoss validation loss of the last committed version
    /// @param committed           versions committed
    public record Outcome(String label, double finalValidationLoss, int committed, List<NodeOutcome> nodes,
                          Duration took) {
        public List<NodeOutcome> cheaters() {
            return nodes.stream().filter(n -> n.behaviour() != ProtocolNode.Behaviour.HONEST).toList();
        }

        public List<NodeOutcome> honest() {
            return nodes.stream().filter(n -> n.behaviour() == ProtocolNode.Behaviour.HONEST).toList();
        }
    }

    /// Nodes connect and authenticate over loopback in well under a second; 60 s allows a loaded machine.
    static final Duration JOIN_TIMEOUT = Duration.ofSeconds(60);

    private ByzantineScenario() {}

    /// The behaviour of node `i` of a run with `cheaters` cheaters: sign flip first, then random, then scaled.
    static ProtocolNode.Behaviour behaviourOf(int i, int cheaters) {
        if (i >= cheaters) return ProtocolNode.Behaviour.HONEST;
        return switch (i % 3) {
            case 0 -> ProtocolNode.Behaviour.SIGN_FLIP;
            case 1 -> ProtocolNode.Behaviour.RANDOM;
            default -> ProtocolNode.Behaviour.SCALED;
        };
    }

    /// node id → {checks, strikes, sum of relative loss rises} from the ledger's spot-check table.
    static Map<String, double[]> spotChecks(Path ledger) {
        Map<String, double[]> out = new java.util.HashMap<>();
        try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + ledger);
             var q = db.prepareStatement("SELECT node_id, loss_before, loss_after, strike FROM spot_checks");
             var rs = q.executeQuery()) {
            while (rs.next()) {
                double[] s = out.computeIfAbsent(rs.getString(1), k -> new double[3]);
                s[0]++;
                s[1] += rs.getInt(4);
                s[2] += rs.getDouble(3) / rs.getDouble(2) - 1;
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the spot checks in " + ledger + ": " + e.getMessage(), e);
        }
        return out;
    }

    /// Runs one scenario to its last round (bounded by `timeout`) in `dir`, with the sign outer step.
    public static Outcome run(String label, Shape shape, Defences defences, Path dir, Duration timeout)
            throws IOException, InterruptedException {
        return run(label, shape, defences, dir, timeout, "sign");
    }

    /// As [#run(String, Shape, Defences, Path, Duration)] with the outer step `outer` ("sign" or "mean"). With the
    /// mean step (the run default) the nodes take the run's local AdamW steps and send pseudo-gradients, and the
    /// defences' robust mode is `norm_clip` (the trimmed mean is defined over each coefficient's senders, which only
    /// the sign step aggregates by); the spot checks, the norm bound and the model's health apply as with the sign.
    public static Outcome run(String label, Shape shape, Defences defences, Path dir, Duration timeout, String outer)
            throws IOException, InterruptedException {
        boolean mean = outer.equals("mean");
        String robust = mean && defences.robust.equals("trimmed_mean") ? "norm_clip" : defences.robust;
        long start = System.nanoTime();
        RunConfig config = RunConfig.parse("""
                [run]
                id = "byzantine"
                total_rounds = %d
                seed = 7
                [data]
                sequences_per_node = %d
                [optimizer]
                outer = "%s"
                %s
                lr_max = 0.001
                lr_min = 0.001
                warmup_rounds = 0
                robust = "%s"
                [validation]
                loss_every_rounds = %d
                spot_check_fraction = %s
                norm_factor = %s
                [quorum]
                # the honest nodes: quarantined cheaters are refused and must not stall the run
                min_nodes = %d
                min_uploads = %d
                [deadline]
                min_seconds = 120
                max_seconds = 300
                [checkpoint]
                every_rounds = %d
                [server]
                port = 0
                http_port = 0
                """.formatted(shape.rounds(), shape.sequencesPerNode(), outer,
                mean ? "local_steps = " + Math.min(dev.hearth.engine.demo.MeanStep.DEFAULTS.localSteps(), shape.sequencesPerNode()) : "",
                robust, shape.rounds(),
                defences.spotFraction, defences.normFactor, shape.nodes() - shape.cheaters(), shape.nodes(), shape.rounds()),
                label, Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        List<CoordinatorService.CommitEvent> commits = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        List<ProtocolNode> nodes = new ArrayList<>();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
            coordinator.onCommit(e -> {
                commits.add(e);
                if (e.version() >= shape.rounds()) done.countDown();
            });
            RunAddress address = coordinator.address();
            Corpus corpus = Corpus.bundled(config.dataDir().resolve("corpus")); // the coordinator's cache, built
            try {
                for (int i = 0; i < shape.nodes(); i++) {
                    ProtocolNode node = new ProtocolNode("n" + i, behaviourOf(i, shape.cheaters()), address,
                            config.recipe().model(), config.recipe().dataSeed(), corpus);
                    nodes.add(node);
                    node.start();
                }
                long welcomeBy = System.nanoTime() + JOIN_TIMEOUT.toNanos();
                while (!nodes.stream().allMatch(ProtocolNode::welcomed)) {
                    if (System.nanoTime() > welcomeBy) throw new IllegalStateException(label + ": nodes not welcomed in time");
                    Thread.sleep(50);
                }
                nodes.forEach(ProtocolNode::ready); // all at once: round 1 has every node
                if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException(label + ": " + commits.size() + " of " + shape.rounds()
                            + " rounds committed within " + timeout.toSeconds() + " s; node failures: "
                            + nodes.stream().map(ProtocolNode::failure).toList());
                }
            } finally {
                nodes.forEach(ProtocolNode::close);
            }
            Set<String> quarantined = coordinator.ledger().quarantinedNodes();
            Map<String, Long> credits = new java.util.HashMap<>();
            for (LeaderboardEntry e : coordinator.ledger().leaderboard(1_000)) credits.put(e.nodeId(), e.credits());
            Map<String, double[]> spots = spotChecks(config.ledgerFile());
            List<NodeOutcome> outcomes = nodes.stream().map(n -> {
                double[] s = spots.getOrDefault(n.nodeId(), new double[3]);
                return new NodeOutcome(n.name(), n.behaviour(), n.nodeId(), n.acceptedUpdates(), n.rejectedUpdates(),
                        credits.getOrDefault(n.nodeId(), 0L), quarantined.contains(n.nodeId()), n.shaMismatches(),
                        n.failure(), (int) s[0], (int) s[1], s[0] == 0 ? Double.NaN : s[2] / s[0]);
            }).toList();
            return new Outcome(label, commits.getLast().valLoss(), commits.size(), outcomes,
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }
}
