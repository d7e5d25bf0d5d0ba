package dev.hearth.coordinator.validation;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/// The rules an upload must pass before it counts, as pure functions: no I/O, no clock (the arrival time is
/// in the view). A rejected update never touches the global model; its reason goes into the node's
/// `UpdateReceipt` and the ledger.
///
/// Two stages: {@link #validate} on arrival, one update at a time; {@link #normOutliers} when the round
/// closes, because the bound is relative to the round's median norm (an honest update's norm depends on the
/// lr schedule, the data and k, so no absolute bound fits a whole run).
public final class UpdateValidator {

    /// 5× the median: honest DeMo updates of one round differ by well under 2× in norm (same k, same model,
    /// similar batches); an update 5× larger is a scaled or garbage update that would dominate `sign()`.
    public static final double DEFAULT_NORM_FACTOR = 5.0;
    /// The median needs at least 3 updates to mean anything: with 1 the update is its own median, and with 2
    /// neither can exceed 2× their median, so below 3 the norm rule is skipped.
    public static final int MIN_UPDATES_FOR_NORM_RULE = 3;

    private final double normFactor;

    public UpdateValidator() {
        this(DEFAULT_NORM_FACTOR);
    }

    /// @param normFactor an update's L2 norm may be at most this multiple of the round's median norm
    public UpdateValidator(double normFactor) {
        if (!(normFactor > 1) || Double.isInfinite(normFactor)) {
            throw new IllegalArgumentException("norm factor must be a finite number > 1, got " + normFactor);
        }
        this.normFactor = normFactor;
    }

    public double normFactor() {
        return normFactor;
    }

    /// Checks one upload against its round. Rules run in {@link Verdict.Rule} order; the first broken one wins.
    public Verdict validate(UpdateView u, RoundContext ctx) {
        if (u.protocolVersion() != ctx.protocolVersion()) {
            return Verdict.reject(Verdict.Rule.PROTOCOL_VERSION, "protocol version " + u.protocolVersion()
                    + " is not this run's version " + ctx.protocolVersion() + ": update Hearth");
        }
        if (!ctx.runId().equals(u.runId())) {
            return Verdict.reject(Verdict.Rule.RUN, "update is for run '" + u.runId() + "', this is run '" + ctx.runId() + "'");
        }
        if (ctx.quarantined().contains(u.nodeId())) {
            return Verdict.reject(Verdict.Rule.QUARANTINED, "node " + u.nodeId() + " is quarantined: its updates do not count");
        }
        if (!u.signatureValid()) {
            return Verdict.reject(Verdict.Rule.SIGNATURE, "signature does not verify against node " + u.nodeId() + "'s key");
        }
        if (u.round() != ctx.round()) {
            return Verdict.reject(Verdict.Rule.ROUND, "update is for round " + u.round() + ", the open round is " + ctx.round());
        }
        if (!ctx.assigned().contains(u.nodeId())) {
            return Verdict.reject(Verdict.Rule.NOT_ASSIGNED, "node " + u.nodeId() + " has no batches in round " + ctx.round());
        }
        if (ctx.uploaded().contains(u.nodeId())) {
            return Verdict.reject(Verdict.Rule.DUPLICATE, "node " + u.nodeId() + " already uploaded for round " + ctx.round()
                    + " (one update per node per round)");
        }
        if (u.baseVersion() != ctx.baseVersion()) {
            return Verdict.reject(Verdict.Rule.BASE_VERSION, "trained from version " + u.baseVersion() + ", round "
                    + ctx.round() + " trains from version " + ctx.baseVersion());
        }
        if (u.receivedAt().isAfter(ctx.deadline())) {
            return Verdict.reject(Verdict.Rule.DEADLINE, "late: arrived " + Duration.between(ctx.deadline(), u.receivedAt())
                    .toMillis() + " ms after the deadline of round " + ctx.round());
        }
        if (!u.withinCaps()) {
            String why = u.capsProblem() == null || u.capsProblem().isBlank() ? "shape or top-k outside the run's caps"
                    : u.capsProblem();
            return Verdict.reject(Verdict.Rule.CAPS, "malformed update: " + why);
        }
        if (u.nonFiniteValues() > 0 || !Double.isFinite(u.l2Norm())) {
            return Verdict.reject(Verdict.Rule.NON_FINITE, "update has " + Math.max(1, u.nonFiniteValues())
                    + " NaN or infinite values (diverged training?)");
        }
        return Verdict.accept();
    }

    /// The updates of a round whose L2 norm exceeds `normFactor × median`, with a reason each. Skipped (empty)
    /// for fewer than {@link #MIN_UPDATES_FOR_NORM_RULE} updates.
    ///
    /// @param norms node id → L2 norm of its update (all finite, they passed {@link #validate})
    public Map<String, Verdict> normOutliers(Map<String, Double> norms) {
        var out = new TreeMap<String, Verdict>();
        if (norms.size() < MIN_UPDATES_FOR_NORM_RULE) {
            return out;
        }
        double median = median(norms.values().stream().mapToDouble(Double::doubleValue).toArray());
        double bound = normFactor * median;
        for (var e : norms.entrySet()) {
            if (e.getValue() > bound) {
                out.put(e.getKey(), Verdict.reject(Verdict.Rule.NORM, String.format(java.util.Locale.ROOT,
                        "update norm %.4g is above %.1f × the round's median %.4g", e.getValue(), normFactor, median)));
            }
        }
        return out;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    }
}
