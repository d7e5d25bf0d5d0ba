package dev.hearth.coordinator.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/// `./hearth bench reliability`: issue 8's quick suite with real processes and the real protocol, ending in one
/// table — faults injected, rounds committed, batches lost (must be 0), bad inputs tried and rejected, and the
/// Byzantine loss ratio with the defences on and off. Exit status 0 only when every check held.
///
/// Options: `--long` (100 node kills and 2 coordinator restarts instead of 20 and 1), `--keep DIR` (keep logs and
/// ledgers in DIR instead of a temporary directory), `--skip-byzantine`, `--byzantine-only`, and with it
/// `--step mean|sign` (only that outer step's per-attack runs, its clean run included: half the time).
public final class ReliabilityBench {

    /// The quick suite: 20 node kills (issue 8) across 4 node processes, one coordinator restart.
    static final ProcessFaultScenario.Shape QUICK_FAULTS = new ProcessFaultScenario.Shape(4, 20, 1, 5);
    /// The long suite: 100 node kills, two coordinator restarts.
    static final ProcessFaultScenario.Shape LONG_FAULTS = new ProcessFaultScenario.Shape(4, 100, 2, 5);
    /// 12 nodes, 3 cheaters (25 %: one sign flip, one random, one 100× scaled), 12 rounds of `nano`, 3 windows
    /// per node per round.
    static final ByzantineScenario.Shape BYZANTINE = new ByzantineScenario.Shape(12, 3, 12, 3);
    /// Issue 14: each attack made by a quarter of the nodes, for the mean step (the default) and the sign step: 8
    /// nodes, 2 of them attacking, 8 rounds (a cheater struck in every round is quarantined in its third), 2 windows
    /// per node per round — sized so that the 12 runs finish within the hour on two shared, loaded cores (a clean
    /// mean-step run took 222 s at load 20).
    static final ByzantineScenario.Shape PER_ATTACK = new ByzantineScenario.Shape(8, 2, 8, 2);
    /// The attacks of issue 14, point 3, each run on its own.
    static final List<ProtocolNode.Behaviour> ATTACKS = List.of(ProtocolNode.Behaviour.SIGN_FLIP,
            ProtocolNode.Behaviour.SCALED, ProtocolNode.Behaviour.RANDOM, ProtocolNode.Behaviour.MAXIMAL,
            ProtocolNode.Behaviour.INTERMITTENT);
    /// One per-attack run: the attack and the defences it meets.
    record AttackRun(ProtocolNode.Behaviour attack, ByzantineScenario.Defences defences) {
        boolean sampled() {
            return defences == ByzantineScenario.Defences.SAMPLED;
        }

        String name() {
            return attack.name().toLowerCase(Locale.ROOT) + (sampled() ? " 0.1" : "");
        }
    }

    /// Each step's runs after its clean run: every attack with every update checked, then the intermittent cheater
    /// against the run default's spot-check fraction ([ByzantineScenario.Defences#SAMPLED]).
    static final List<AttackRun> RUNS_PER_STEP = java.util.stream.Stream.concat(
            ATTACKS.stream().map(a -> new AttackRun(a, ByzantineScenario.Defences.ON)),
            java.util.stream.Stream.of(new AttackRun(ProtocolNode.Behaviour.INTERMITTENT,
                    ByzantineScenario.Defences.SAMPLED))).toList();
    /// The mean step (the run default) first, then the sign step.
    static final List<String> OUTER_STEPS = List.of("mean", "sign");
    static final Duration FAULTS_TIMEOUT = Duration.ofMinutes(7);
    static final Duration LONG_FAULTS_TIMEOUT = Duration.ofMinutes(40);
    static final Duration BYZANTINE_TIMEOUT = Duration.ofMinutes(4);
    /// A per-attack run takes 1–3 min on two loaded cores (10–20 s a round); 10 min leaves room for a heavier load.
    static final Duration PER_ATTACK_TIMEOUT = Duration.ofMinutes(10);
    /// Issue 8: with the defences on, the final validation loss stays within 2 % of the clean run's.
    static final double LOSS_RATIO_BOUND = 0.02;
    /// A cheater that corrupted at least 2 of its uploads must end quarantined: a strike outside the loss checks
    /// (norm bound, model health, agreement screen) quarantines at its second (`SpotCheckPolicy.HEALTH_STRIKES`), so
    /// one attack is one strike by design, and a node that drew no attack is honest in effect.
    static final int ATTACKS_TO_CATCH = dev.hearth.coordinator.validation.SpotCheckPolicy.HEALTH_STRIKES;

    static final String USAGE = "Usage: ./hearth bench reliability [--long] [--keep DIR] [--skip-byzantine |"
            + " --byzantine-only [--step mean|sign]]";

    private ReliabilityBench() {}

    public static void main(String[] args) throws Exception {
        boolean longSuite = false;
        boolean byzantine = true;
        boolean byzantineOnly = false;
        Path keep = null;
        List<String> steps = OUTER_STEPS;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--step" -> {
                    if (i + 1 >= args.length || !OUTER_STEPS.contains(args[i + 1])) {
                        usage("--step needs one of " + OUTER_STEPS);
                    }
                    steps = List.of(args[++i]);
                }
                case "--long" -> longSuite = true;
                case "--skip-byzantine" -> byzantine = false;
                case "--byzantine-only" -> byzantineOnly = true;
                case "--keep" -> {
                    if (i + 1 >= args.length) usage("--keep needs a directory");
                    keep = Path.of(args[++i]);
                }
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> usage("unknown option '" + args[i] + "'");
            }
        }
        if (byzantineOnly && !byzantine) usage("--byzantine-only and --skip-byzantine exclude each other");
        if (steps != OUTER_STEPS && !byzantineOnly) usage("--step goes with --byzantine-only");
        Path dir = keep != null ? Files.createDirectories(keep) : Files.createTempDirectory("hearth-reliability");
        long start = System.nanoTime();
        if (byzantineOnly) {
            List<String> lines = new ArrayList<>();
            boolean ok = perAttack(dir, lines, steps);
            System.out.println();
            System.out.println("Hearth reliability (Byzantine attacks only), " + Runtime.getRuntime().availableProcessors()
                    + " cores, took " + Duration.ofNanos(System.nanoTime() - start).toSeconds() + " s"
                    + (keep != null ? "; logs kept in " + dir : ""));
            lines.forEach(System.out::println);
            System.out.println(ok ? "\nALL CHECKS HELD" : "\nSOME CHECKS FAILED");
            if (keep == null) deleteQuietly(dir);
            System.exit(ok ? 0 : 1);
        }
        List<String[]> rows = new ArrayList<>();
        boolean ok = true;

        System.out.println("hearth bench reliability: hostile updates over the real protocol...");
        List<HostileUploadScenario.Attack> attacks = HostileUploadScenario.run(dir.resolve("hostile"));
        long rejected = attacks.stream().filter(HostileUploadScenario.Attack::passed).count();
        for (var a : attacks) {
            rows.add(new String[] {"bad input: " + a.kind(), a.passed() ? "rejected, model clean" : "NOT HANDLED",
                    a.summary()});
        }
        ok &= rejected == attacks.size();

        System.out.println("hearth bench reliability: an absurd-scale update (finite, well-formed, 1e30) with the mean step...");
        AbsurdScaleScenario.Outcome absurd = AbsurdScaleScenario.run(dir.resolve("absurd"));
        rows.add(new String[] {"model health: absurd-scale update", absurd.passed() ? "dropped, model healthy"
                : "NOT HANDLED", String.format(java.util.Locale.ROOT, "rejected %s, caught (quarantined) %s, credits %d,"
                + " published versions finite %s and the honest-only step %s, validation loss %s", absurd.rejected(),
                absurd.quarantined(), absurd.attackerCredits(), absurd.finite(), absurd.honestStep(),
                absurd.validationLosses())});
        ok &= absurd.passed();

        ProcessFaultScenario.Shape shape = longSuite ? LONG_FAULTS : QUICK_FAULTS;
        System.out.printf("hearth bench reliability: %d node kills and %d coordinator restart(s) with real processes...%n",
                shape.nodeKills(), shape.coordinatorRestarts());
        ProcessFaultScenario.Outcome f = ProcessFaultScenario.run(shape, dir.resolve("faults"),
                longSuite ? LONG_FAULTS_TIMEOUT : FAULTS_TIMEOUT);
        boolean resumedExactly = f.restarts().stream().allMatch(r -> r.resumedFrom() == r.lastLoggedCommit()
                || r.resumedFrom() == r.lastLoggedCommit() + 1);
        boolean faultsOk = f.finished() && f.nodeKills() == shape.nodeKills() && f.coordinatorStackTraces().isEmpty()
                && f.nodeDatabases().stream().allMatch(s -> s.endsWith(": ok"))
                && f.restarts().size() == shape.coordinatorRestarts() && f.batchesLost() == 0 && f.duplicates() == 0
                && f.auditProblems().isEmpty() && resumedExactly;
        ok &= faultsOk;

        System.out.println("hearth bench reliability: network faults through a proxy...");
        List<NetworkFaultScenario.Fault> network = NetworkFaultScenario.run(dir.resolve("network"));
        ok &= network.stream().allMatch(NetworkFaultScenario.Fault::recovered);

        ByzantineScenario.Outcome clean = null;
        ByzantineScenario.Outcome defended = null;
        ByzantineScenario.Outcome undefended = null;
        if (byzantine) {
            System.out.println("hearth bench reliability: Byzantine nodes (clean, defended, undefended runs)...");
            var cleanShape = new ByzantineScenario.Shape(BYZANTINE.nodes(), 0, BYZANTINE.rounds(), BYZANTINE.sequencesPerNode());
            clean = ByzantineScenario.run("clean", cleanShape, ByzantineScenario.Defences.ON, dir.resolve("byz-clean"),
                    BYZANTINE_TIMEOUT);
            defended = runOrNull("defended", BYZANTINE, ByzantineScenario.Defences.ON, dir.resolve("byz-on"));
            undefended = runOrNull("undefended", BYZANTINE, ByzantineScenario.Defences.OFF, dir.resolve("byz-off"));
            boolean byzOk = defended != null
                    && Math.abs(defended.finalValidationLoss() / clean.finalValidationLoss() - 1) <= LOSS_RATIO_BOUND
                    && defended.cheaters().stream().allMatch(c -> c.ledgerCredits() == 0);
            ok &= byzOk;
        }
        List<String> attackLines = new ArrayList<>();
        if (byzantine) ok &= perAttack(dir, attackLines, OUTER_STEPS);

        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.println();
        System.out.println("Hearth reliability (" + (longSuite ? "long" : "quick") + " suite), "
                + Runtime.getRuntime().availableProcessors() + " cores, took " + took.toSeconds() + " s; logs in " + dir);
        String fmt = "  %-34s %s%n";
        System.out.printf(fmt, "faults injected", (f.faultsInjected() + network.size()) + " (" + f.nodeKills()
                + " node kill -9, " + f.restarts().size() + " coordinator kill -9 + restart, " + network.size()
                + " network faults)");
        for (var n : network) {
            System.out.printf(fmt, "  network: " + n.kind(), (n.recovered() ? "recovered" : "NOT RECOVERED") + " in "
                    + n.recoveredIn().toSeconds() + " s (2 more accepted rounds), " + n.reconnects() + " reconnect(s)");
        }
        System.out.printf(fmt, "rounds committed", f.roundsCommitted() + (f.finished() ? " (run finished)" : " (NOT finished)"));
        System.out.printf(fmt, "coordinator resumed at", f.restarts().stream()
                .map(r -> "v" + r.resumedFrom() + " (last logged commit v" + r.lastLoggedCommit() + ")").toList());
        System.out.printf(fmt, "batches committed", f.batchesCommitted());
        System.out.printf(fmt, "batches lost (must be 0)", f.batchesLost());
        System.out.printf(fmt, "batches committed twice (must be 0)", f.duplicates() + (f.auditProblems().isEmpty() ? ""
                : " " + f.auditProblems()));
        System.out.printf(fmt, "coordinator logs with a stack trace", f.coordinatorStackTraces().size());
        System.out.printf(fmt, "node history.db after kill -9", f.nodeDatabases());
        System.out.printf(fmt, "bad inputs tried / rejected", attacks.size() + " / " + rejected
                + " (each with its reason; model bit-identical to the honest-only step)");
        if (byzantine) {
            System.out.printf(fmt, "Byzantine: clean final val loss", fmt(clean.finalValidationLoss()));
            System.out.printf(fmt, "Byzantine: 25% cheaters, defences on", ratio(defended, clean));
            System.out.printf(fmt, "Byzantine: 25% cheaters, defences off", ratio(undefended, clean));
            if (defended != null) {
                for (var n : defended.nodes()) {
                    System.out.printf("    %-4s %-9s credits %6d  quarantined %-5s spot checks %2d, strikes %2d, "
                                    + "mean loss change alone %s%n", n.name(), n.behaviour(), n.ledgerCredits(),
                            n.quarantined(), n.spotChecks(), n.strikes(),
                            Double.isNaN(n.meanLossRise()) ? "-" : String.format(Locale.ROOT, "%+.2f %%", 100 * n.meanLossRise()));
                }
            }
        }
        attackLines.forEach(System.out::println);
        System.out.println();
        for (String[] r : rows) System.out.printf("  %-40s %-22s %s%n", r[0], r[1], r[2]);
        System.out.println(ok ? "\nALL CHECKS HELD" : "\nSOME CHECKS FAILED");
        if (keep == null) deleteQuietly(dir);
        System.exit(ok ? 0 : 1);
    }

    /// Issue 14, point 3: for the mean step and the sign step, a clean run and one defended run per attack of
    /// [#ATTACKS] by a quarter of the nodes ([#PER_ATTACK]). Adds one line per run to `lines`; true when every check
    /// held: the validation loss within [#LOSS_RATIO_BOUND] above the clean run's and finite, no honest node struck
    /// or dropped, no corrupted update counted, and no credits for a cheater except an intermittent one's for its
    /// honest rounds.
    ///
    /// @param steps the outer steps to run ([#OUTER_STEPS] or one of them)
    static boolean perAttack(Path dir, List<String> lines, List<String> steps) throws Exception {
        boolean ok = true;
        lines.add(String.format(Locale.ROOT, "  Byzantine attacks, each by %d of %d nodes, %d rounds of nano, %d windows"
                        + " per node per round, every update spot-checked (0.1: a tenth, at least 3 a round):", PER_ATTACK.cheaters(), PER_ATTACK.nodes(),
                PER_ATTACK.rounds(), PER_ATTACK.sequencesPerNode()));
        lines.add(String.format(Locale.ROOT, "    %-5s %-12s %-9s %-7s %-14s %-9s %-7s %-9s %-12s %s", "step", "attack",
                "val loss", "ratio", "attacks/in", "rejected", "caught", "credits", "withheld", "honest struck/dropped"));
        var cleanShape = new ByzantineScenario.Shape(PER_ATTACK.nodes(), 0, PER_ATTACK.rounds(),
                PER_ATTACK.sequencesPerNode());
        for (String outer : steps) {
            System.out.println("hearth bench reliability: Byzantine attacks with the " + outer + " step (clean run)...");
            ByzantineScenario.Outcome clean;
            try {
                clean = ByzantineScenario.run(outer + " clean", cleanShape, ByzantineScenario.Defences.ON,
                        dir.resolve("attacks-" + outer + "-clean"), PER_ATTACK_TIMEOUT, outer, null);
            } catch (IllegalStateException e) {
                lines.add("    " + outer + " clean run did not finish: " + e.getMessage());
                ok = false;
                continue;
            }
            boolean cleanOk = Double.isFinite(clean.finalValidationLoss()) && clean.honestStruck() == 0
                    && clean.honestUpdatesDropped() == 0;
            ok &= cleanOk;
            lines.add(String.format(Locale.ROOT, "    %-5s %-12s %-9s %-7s %-14s %-9s %-7s %-9s %-12s %d/%d%s", outer,
                    "none (clean)", fmt(clean.finalValidationLoss()), "1", "-", "-", "-", "-", "-",
                    clean.honestStruck(), clean.honestUpdatesDropped(), cleanOk ? "" : "  FAILED"));
            System.out.println("BYZANTINE " + lines.getLast());
            agreementLine(outer, "none (clean)", clean, lines);
            for (AttackRun run : RUNS_PER_STEP) {
                ProtocolNode.Behaviour attack = run.attack();
                boolean sampled = run.sampled();
                var defences = run.defences();
                String name = run.name();
                System.out.println("hearth bench reliability: Byzantine attacks with the " + outer + " step: " + name + "...");
                ByzantineScenario.Outcome o;
                try {
                    o = ByzantineScenario.run(outer + " " + name, PER_ATTACK, defences,
                            dir.resolve("attacks-" + outer + "-" + attack + (sampled ? "-sampled" : "")),
                            PER_ATTACK_TIMEOUT, outer, attack);
                } catch (IllegalStateException e) {
                    lines.add("    " + outer + " " + name + " run did not finish: " + e.getMessage());
                    ok = false;
                    continue;
                }
                double ratio = o.finalValidationLoss() / clean.finalValidationLoss();
                int attacks = o.attacks();
                boolean creditsOk = attack == ProtocolNode.Behaviour.INTERMITTENT || o.cheaterCredits() == 0;
                List<ByzantineScenario.NodeOutcome> attacked = o.attackers(1);
                long caught = attacked.stream().filter(ByzantineScenario.NodeOutcome::quarantined).count();
                boolean repeatOffendersCaught = o.attackers(ATTACKS_TO_CATCH).stream()
                        .allMatch(ByzantineScenario.NodeOutcome::quarantined);
                // the agreement screen sees every update, so no corrupted one may count, sampled spot checks or not
                boolean runOk = Double.isFinite(o.finalValidationLoss()) && ratio <= 1 + LOSS_RATIO_BOUND
                        && o.attacksCounted() == 0 && repeatOffendersCaught && creditsOk && o.honestStruck() == 0
                        && o.honestUpdatesDropped() == 0;
                ok &= runOk;
                int uploads = o.cheaters().stream().mapToInt(ByzantineScenario.NodeOutcome::uploads).sum();
                lines.add(String.format(Locale.ROOT, "    %-5s %-12s %-9s %-7s %-14s %-9s %-7s %-9s %-12s %d/%d%s", outer,
                        name, fmt(o.finalValidationLoss()),
                        String.format(Locale.ROOT, "%.4f", ratio), attacks + "/" + o.attacksCounted(),
                        (uploads - o.cheaterUpdatesCounted()) + "/" + uploads, caught + "/" + attacked.size(),
                        o.cheaterCredits(), o.cheaterCreditsWithheld(), o.honestStruck(), o.honestUpdatesDropped(),
                        runOk ? "" : "  FAILED"));
                System.out.println("BYZANTINE " + lines.getLast());
                agreementLine(outer, name, o, lines);
            }
        }
        lines.add("    (attacks/in: corrupted uploads / of them counted in a committed round (must be 0); rejected: the"
                + " cheaters' uploads that did not count / all; caught: quarantined / cheaters that attacked at all (an"
                + " intermittent cheater that drew no attack is honest in effect), every one that attacked "
                + ATTACKS_TO_CATCH + "+ times must be; credits: the cheaters' on the leaderboard; withheld: tokens"
                + " uploaded minus credits; model health: val loss finite and the ratio ≤ " + (1 + LOSS_RATIO_BOUND)
                + "; agreement: each update's cosine with its round's others, honest nodes' updates and the corrupted"
                + " ones, n min/5th pct/median/max)");
        return ok;
    }

    /// Adds the run's agreement distributions (`UpdateAgreement`, from the ledger) below its row.
    private static void agreementLine(String outer, String name, ByzantineScenario.Outcome o, List<String> lines) {
        lines.add(String.format(Locale.ROOT, "    %-5s %-12s   agreement honest %s; corrupted %s", outer, name,
                distribution(o.honestAgreements()), distribution(o.attackAgreements())));
        System.out.println("BYZANTINE " + lines.getLast());
    }

    /// `n min/p5/median/max` of `values` (nearest-rank percentiles), or "-" when empty.
    static String distribution(double[] values) {
        if (values.length == 0) return "-";
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        return String.format(Locale.ROOT, "%d %.3f/%.3f/%.3f/%.3f", v.length, v[0], nearestRank(v, 0.05),
                nearestRank(v, 0.5), v[v.length - 1]);
    }

    /// The `p` quantile of sorted `v` by nearest rank.
    static double nearestRank(double[] v, double p) {
        return v[Math.max(0, (int) Math.ceil(p * v.length) - 1)];
    }

    private static ByzantineScenario.Outcome runOrNull(String label, ByzantineScenario.Shape shape,
                                                       ByzantineScenario.Defences d, Path dir) throws Exception {
        try {
            return ByzantineScenario.run(label, shape, d, dir, BYZANTINE_TIMEOUT);
        } catch (IllegalStateException e) {
            System.out.println("  " + label + " run did not finish: " + e.getMessage());
            return null;
        }
    }

    private static String ratio(ByzantineScenario.Outcome o, ByzantineScenario.Outcome clean) {
        if (o == null) return "did not finish";
        double r = o.finalValidationLoss() / clean.finalValidationLoss();
        long cheaterCredits = o.cheaters().stream().mapToLong(ByzantineScenario.NodeOutcome::ledgerCredits).sum();
        long quarantined = o.cheaters().stream().filter(ByzantineScenario.NodeOutcome::quarantined).count();
        return String.format(Locale.ROOT, "val loss %s, ratio %.4f (%+.2f %%); cheaters: %d credits, %d of %d quarantined",
                fmt(o.finalValidationLoss()), r, 100 * (r - 1), cheaterCredits, quarantined, o.cheaters().size());
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static void usage(String problem) {
        System.err.println("hearth bench reliability: " + problem);
        System.err.println(USAGE);
        System.exit(2);
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}
