package dev.hearth.coordinator.bench;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.ledger.LeaderboardEntry;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.engine.data.Corpus;
import dev.hearth.engine.demo.OuterRule;
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

/// Issue 8's Byzantine case, and issue 14's for the default mean step: a `nano` run over loopback TLS where a
/// quarter of the nodes cheat, with the run's defences on (spot checks on every update, the norm bound, the trimmed
/// mean with the sign step or the norm clip with the mean step) or off (plain mean, no spot checks, no effective norm
/// bound; the model's health still applies: it is not a setting). The cheaters either all make one attack
/// ([#run(String, Shape, Defences, Path, Duration, String, ProtocolNode.Behaviour)]) or mix the sign flip, random and
/// scaled updates, one each. The figure is the final validation loss against the clean run's, with what the
/// cheaters got: updates counted, quarantined, credits.
public final class ByzantineScenario {

    /// Defences of a run.
    public enum Defences {
        /// Trimmed mean, every update spot-checked, norm bound 5× the median.
        ON("trimmed_mean", 1.0, 5.0),
        /// As [#ON] but with the run default's spot-check fraction (`validation.spot_check_fraction` = 0.1): what a
        /// cheater that attacks only sometimes gets through when most updates go unchecked (at 8 nodes the sampler's
        /// floor of 3 checks a round, `SpotCheckSampler.MIN_CHECKS_PER_ROUND`, governs: 3 of 8).
        SAMPLED("trimmed_mean", 0.1, 5.0),
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

    /// What one node did, from the node and from the coordinator's ledger.
    ///
    /// @param accepted     receipts that accepted its upload (before the round's aggregation could still drop it)
    /// @param rejected     receipts that refused it
    /// @param ledgerCredits its credits on the leaderboard (0 once quarantined)
    /// @param spotChecks   loss spot checks of its updates
    /// @param strikes      strikes against it: failed loss checks and health offences
    /// @param meanLossRise mean relative loss change on its own batch when its update was applied alone (at its share
    ///                     of the round with the mean step), over its loss checks
    /// @param uploads      updates it uploaded
    /// @param attacks      of those, how many it corrupted
    /// @param counted      of those, how many went into a committed round (the ledger's accepted uploads)
    /// @param attacksCounted of its corrupted uploads, how many went into a committed round
    /// @param uploadedTokens tokens of all its uploads: the credits it would have earned had every one counted
    /// @param agreements   round → its update's agreement with the round's others (the ledger's `updates.agreement`,
    ///                     `UpdateAgreement`), for the rounds where it was compared
    /// @param attackedRounds the rounds in which it corrupted its update
    public record NodeOutcome(String name, ProtocolNode.Behaviour behaviour, String nodeId, int accepted, int rejected,
                              long ledgerCredits, boolean quarantined, int shaMismatches, String failure,
                              int spotChecks, int strikes, double meanLossRise, int uploads, int attacks, int counted,
                              int attacksCounted, long uploadedTokens, Map<Long, Double> agreements,
                              Set<Long> attackedRounds) {
        /// Credits it did not get for what it uploaded: dropped and refused uploads, and all of them once quarantined.
        public long creditsWithheld() {
            return uploadedTokens - ledgerCredits;
        }
    }

    /// What a run gave.
    ///
    /// @param attack              what every cheater did, or null for the mix of [#behaviourOf]
    /// @param finalValidationLoss validation loss of the last committed version
    /// @param committed           versions committed
    public record Outcome(String label, String outer, ProtocolNode.Behaviour attack, double finalValidationLoss,
                          int committed, List<NodeOutcome> nodes, Duration took) {
        public List<NodeOutcome> cheaters() {
            return nodes.stream().filter(n -> n.behaviour().cheats()).toList();
        }

        public List<NodeOutcome> honest() {
            return nodes.stream().filter(n -> !n.behaviour().cheats()).toList();
        }

        /// Cheaters quarantined.
        public long caught() {
            return cheaters().stream().filter(NodeOutcome::quarantined).count();
        }

        /// Cheaters that corrupted at least `times` of their uploads (an intermittent cheater that drew no attack is
        /// honest in effect).
        public List<NodeOutcome> attackers(int times) {
            return cheaters().stream().filter(n -> n.attacks() >= times).toList();
        }

        /// The agreements of the honest nodes' updates (every round they were compared in).
        public double[] honestAgreements() {
            return honest().stream().flatMap(n -> n.agreements().values().stream()).mapToDouble(Double::doubleValue)
                    .toArray();
        }

        /// The agreements of the cheaters' corrupted updates (their attacked rounds that were compared).
        public double[] attackAgreements() {
            return cheaters().stream().flatMap(n -> n.agreements().entrySet().stream()
                            .filter(e -> n.attackedRounds().contains(e.getKey())).map(Map.Entry::getValue))
                    .mapToDouble(Double::doubleValue).toArray();
        }

        /// Honest nodes with a strike or quarantined (must be 0).
        public long honestStruck() {
            return honest().stream().filter(n -> n.strikes() > 0 || n.quarantined()).count();
        }

        /// Cheaters' uploads that went into a committed round.
        public int cheaterUpdatesCounted() {
            return cheaters().stream().mapToInt(NodeOutcome::counted).sum();
        }

        /// Cheaters' corrupted uploads that went into a committed round: the attacks that got through.
        public int attacksCounted() {
            return cheaters().stream().mapToInt(NodeOutcome::attacksCounted).sum();
        }

        public int attacks() {
            return cheaters().stream().mapToInt(NodeOutcome::attacks).sum();
        }

        /// Cheaters' credits on the leaderboard.
        public int cheaterCredits() {
            return (int) cheaters().stream().mapToLong(NodeOutcome::ledgerCredits).sum();
        }

        public long cheaterCreditsWithheld() {
            return cheaters().stream().mapToLong(NodeOutcome::creditsWithheld).sum();
        }

        /// Honest uploads that did not go into a committed round (dropped by a defence; must be 0 with no strike).
        public int honestUpdatesDropped() {
            return honest().stream().mapToInt(n -> n.uploads() - n.counted()).sum();
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

    /// One node's rows in the ledger: loss spot checks, strikes, the sum of the loss checks' relative rises, uploads
    /// recorded, those counted in a committed round, and their tokens.
    record LedgerCounts(int lossChecks, int strikes, double riseSum, int uploads, int counted, long tokens,
                        Set<Long> countedRounds, Map<Long, Double> agreements) {}

    /// node id → its [LedgerCounts] from the ledger's `spot_checks` and `updates` tables. A health strike is a spot-check
    /// row without losses (NULL): it counts as a strike, not as a loss check.
    static Map<String, LedgerCounts> ledgerCounts(Path ledger) {
        Map<String, double[]> s = new java.util.HashMap<>();
        Map<String, Set<Long>> counted = new java.util.HashMap<>();
        Map<String, Map<Long, Double>> agreements = new java.util.HashMap<>();
        try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + ledger)) {
            try (var q = db.prepareStatement("SELECT node_id, loss_before, loss_after, strike FROM spot_checks");
                 var rs = q.executeQuery()) {
                while (rs.next()) {
                    double[] c = s.computeIfAbsent(rs.getString(1), k -> new double[6]);
                    double before = rs.getDouble(2);
                    boolean lossCheck = !rs.wasNull();
                    double after = rs.getDouble(3);
                    lossCheck &= !rs.wasNull();
                    c[1] += rs.getInt(4);
                    if (lossCheck) {
                        c[0]++;
                        c[2] += after / before - 1;
                    }
                }
            }
            try (var q = db.prepareStatement("SELECT node_id, round, accepted, tokens, agreement FROM updates");
                 var rs = q.executeQuery()) {
                while (rs.next()) {
                    double[] c = s.computeIfAbsent(rs.getString(1), k -> new double[6]);
                    c[3]++;
                    c[5] += rs.getLong(4);
                    double agreement = rs.getDouble(5);
                    if (!rs.wasNull()) {
                        agreements.computeIfAbsent(rs.getString(1), k -> new java.util.TreeMap<>())
                                .put(rs.getLong(2), agreement);
                    }
                    if (rs.getInt(3) == 1) {
                        c[4]++;
                        counted.computeIfAbsent(rs.getString(1), k -> new java.util.HashSet<>()).add(rs.getLong(2));
                    }
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the spot checks and updates in " + ledger + ": "
                    + e.getMessage(), e);
        }
        Map<String, LedgerCounts> out = new java.util.HashMap<>();
        s.forEach((id, c) -> out.put(id, new LedgerCounts((int) c[0], (int) c[1], c[2], (int) c[3], (int) c[4],
                (long) c[5], counted.getOrDefault(id, Set.of()), agreements.getOrDefault(id, Map.of()))));
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
    /// Whether `rule` is defined with the robust aggregation named `robust` (the rule answers, not a switch here).
    private static boolean supports(OuterRule rule, String robust) {
        try {
            rule.requireSupported(dev.hearth.engine.recipe.RobustAggregation.named(robust).mode());
            return true;
        } catch (OuterRule.SettingException e) {
            return false;
        }
    }

    public static Outcome run(String label, Shape shape, Defences defences, Path dir, Duration timeout, String outer)
            throws IOException, InterruptedException {
        return run(label, shape, defences, dir, timeout, outer, null);
    }

    /// As [#run(String, Shape, Defences, Path, Duration, String)] with every cheater making `attack` (null: the mix of
    /// [#behaviourOf]).
    public static Outcome run(String label, Shape shape, Defences defences, Path dir, Duration timeout, String outer,
                              ProtocolNode.Behaviour attack) throws IOException, InterruptedException {
        if (attack == ProtocolNode.Behaviour.HONEST) {
            throw new IllegalArgumentException("the attack of a Byzantine run must be a cheat, not HONEST");
        }
        OuterRule rule = OuterRule.byName(outer);
        String robust = supports(rule, defences.robust) ? defences.robust : "norm_clip"; // the mean step has no trimmed mean
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
                rule.defaults().localSteps() > shape.sequencesPerNode() ? "local_steps = " + shape.sequencesPerNode() : "",
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
                    ProtocolNode.Behaviour b = attack == null || i >= shape.cheaters() ? behaviourOf(i, shape.cheaters())
                            : attack;
                    ProtocolNode node = new ProtocolNode("n" + i, b, address,
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
            Map<String, LedgerCounts> counts = ledgerCounts(config.ledgerFile());
            List<NodeOutcome> outcomes = nodes.stream().map(n -> {
                LedgerCounts c = counts.getOrDefault(n.nodeId(), new LedgerCounts(0, 0, 0, 0, 0, 0, Set.of(), Map.of()));
                return new NodeOutcome(n.name(), n.behaviour(), n.nodeId(), n.acceptedUpdates(), n.rejectedUpdates(),
                        credits.getOrDefault(n.nodeId(), 0L), quarantined.contains(n.nodeId()), n.shaMismatches(),
                        n.failure(), c.lossChecks(), c.strikes(),
                        c.lossChecks() == 0 ? Double.NaN : c.riseSum() / c.lossChecks(), n.uploads(), n.attacks(),
                        c.counted(), (int) n.attackedRounds().stream().filter(c.countedRounds()::contains).count(),
                        c.tokens(), c.agreements(), Set.copyOf(n.attackedRounds()));
            }).toList();
            return new Outcome(label, outer, attack, commits.getLast().valLoss(), commits.size(), outcomes,
                    Duration.ofNanos(System.nanoTime() - start));
        }
    }
}
