package dev.hearth.coordinator.validation;

import dev.hearth.coordinator.run.Verdict;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/// The payload rules an upload must pass before it counts, as pure functions: what the upload carries (its run,
/// its signature, its shape and values), not where it stands in the round — that is
/// {@link dev.hearth.coordinator.run.RunStateMachine#uploadReceived}'s, which takes this verdict. A rejected update
/// never touches the global model; its reason goes into the node's `UpdateReceipt` and the ledger.
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

    /// Checks what one upload carries. Rules run in {@link Verdict.Rule} order; the first broken one wins.
    ///
    /// @param runId the run this coordinator serves
    public Verdict validate(UpdateView u, String runId) {
        if (!runId.equals(u.runId())) {
            return Verdict.reject(Verdict.Rule.RUN, "update is for run '" + u.runId() + "', this is run '" + runId + "'");
        }
        if (!u.signatureValid()) {
            return Verdict.reject(Verdict.Rule.SIGNATURE, "signature does not verify against node " + u.nodeId() + "'s key");
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

    /// Checks the mean training loss the node reports (`UpdateUpload.local_loss`): a cross-entropy is finite and
    /// never negative, so anything else is refused with its update. A finite but implausible value (above
    /// `ValidationWatch.ABSURD_LOSS_PER_LN_VOCAB` × ln(vocab)) is accepted, because the loss is only a report, but
    /// left out of the round's displayed mean loss (CoordinatorService).
    public Verdict validateLocalLoss(double localLoss) {
        if (Double.isFinite(localLoss) && localLoss >= 0) return Verdict.accept();
        return Verdict.reject(Verdict.Rule.LOCAL_LOSS, "reported local loss " + localLoss + " is not a loss (a"
                + " cross-entropy is finite and not negative)");
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
