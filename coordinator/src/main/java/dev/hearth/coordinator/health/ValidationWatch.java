package dev.hearth.coordinator.health;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;

/// Watches the validation loss of each candidate version against the recent healthy ones: a version whose loss is
/// non-finite, or "far above" the recent values, is not published (the run stays at its last healthy version and
/// says why). Not thread-safe: the coordinator's run thread owns it.
public final class ValidationWatch {

    /// 5 measurements: the median of the last five healthy validation losses is what "recent" means (one noisy
    /// estimate does not move it).
    public static final int RECENT = 5;
    /// 3 measurements before the jump rule applies: the first versions of a run fall fast from the initial loss,
    /// and a median of one or two says little.
    public static final int MIN_HISTORY = 3;
    /// 1.25: "far above" is more than 25 % over the recent median. Honest `nano` runs fall or rise by at most a
    /// few percent between consecutive measurements (docs/reliability.md); a quarter is a broken model, not noise.
    public static final double JUMP_FACTOR = 1.25;
    /// 2.0 for the health probe, which judges every candidate version (not every `loss_every_rounds`-th) on 8
    /// windows: it sees the honest spikes that fall between the full validation's versions. A single honest
    /// sign-step node on 256 tokens a round (CommitCatchUpRestartIntegrationTest's run, lr 0.003) rose to 1.40× its
    /// recent median probe loss in one round (4.57 → 6.94; CI on a clean clone, 2026-12-02), and at 1.25 every later
    /// round from that version was refused and the node struck. Twice the recent median is a broken model, not a
    /// spike; smaller damage is the spot checks' and the agreement screen's to catch.
    public static final double PROBE_JUMP_FACTOR = 2.0;
    /// 2 × ln(vocab): a loss above this is broken whatever the history (so the rule holds from a run's first
    /// version, before [#MIN_HISTORY] measurements exist). A model that guesses uniformly over the vocabulary scores
    /// ln(vocab) (ln 256 = 5.545 for Hearth's byte vocabulary; a freshly initialised `nano` scores about 5.6), and
    /// training only lowers it: twice that is a model confidently wrong, as the 20 × ‖θ‖ update of
    /// ValidationJumpTest makes it (about 57).
    public static final double ABSURD_LOSS_PER_LN_VOCAB = 2.0;

    private final Deque<Double> recent = new ArrayDeque<>();
    /// A loss above this is a fault whatever the history (infinite: no such bound).
    private final double ceiling;
    /// What the loss is, for the reasons ("validation loss", "health-probe loss").
    private final String measure;
    /// "Far above": a loss above this multiple of the recent median is a fault ([#JUMP_FACTOR], [#PROBE_JUMP_FACTOR]).
    private final double jumpFactor;

    /// A watch of the validation loss with the jump rule only.
    public ValidationWatch() {
        this("validation loss", Double.POSITIVE_INFINITY);
    }

    /// A watch with the full validation's [#JUMP_FACTOR].
    ///
    /// @param measure what the watched loss is, as the reasons name it
    /// @param ceiling a loss above this is a fault whatever the history (see [#ceilingFor])
    public ValidationWatch(String measure, double ceiling) {
        this(measure, ceiling, JUMP_FACTOR);
    }

    /// @param measure    what the watched loss is, as the reasons name it
    /// @param ceiling    a loss above this is a fault whatever the history (see [#ceilingFor])
    /// @param jumpFactor a loss above this multiple of the recent median is a fault (> 1)
    public ValidationWatch(String measure, double ceiling, double jumpFactor) {
        if (!(ceiling > 0)) throw new IllegalArgumentException("a loss ceiling must be > 0, got " + ceiling);
        if (!(jumpFactor > 1) || Double.isInfinite(jumpFactor)) {
            throw new IllegalArgumentException("a jump factor must be a finite number > 1, got " + jumpFactor);
        }
        this.measure = measure;
        this.ceiling = ceiling;
        this.jumpFactor = jumpFactor;
    }

    /// [#ABSURD_LOSS_PER_LN_VOCAB] × ln(`vocab`): the most loss a model over that vocabulary may plausibly have.
    public static double ceilingFor(int vocab) {
        if (vocab < 2) throw new IllegalArgumentException("a vocabulary of " + vocab + " token(s)");
        return ABSURD_LOSS_PER_LN_VOCAB * Math.log(vocab);
    }

    /// An independent copy (same history and ceiling): the aggregation thread judges a candidate with it while
    /// the run thread owns this one.
    public ValidationWatch copy() {
        ValidationWatch c = new ValidationWatch(measure, ceiling, jumpFactor);
        c.recent.addAll(recent);
        return c;
    }

    /// How many healthy losses the watch holds (at most [#RECENT]).
    public int history() {
        return recent.size();
    }

    /// Why a version with loss `loss` may not be published, or empty. NaN for "not measured this
    /// round" passes (the step bounds still hold); use [#nonFinite] for a measured NaN.
    public Optional<String> problem(double loss, boolean measured) {
        if (!measured) return Optional.empty();
        if (!Double.isFinite(loss)) {
            return Optional.of("model health: the " + measure + " of the new version would be " + loss);
        }
        if (loss > ceiling) {
            return Optional.of(String.format(Locale.ROOT, "model health: the " + measure + " of the new"
                    + " version would be %.4f, more than %.4f (%.0f× what a uniform guess over the vocabulary scores)", loss,
                    ceiling, ABSURD_LOSS_PER_LN_VOCAB));
        }
        if (recent.size() >= MIN_HISTORY) {
            double median = median();
            if (loss > jumpFactor * median) {
                return Optional.of(String.format(Locale.ROOT, "model health: the " + measure + " of the new version"
                        + " would be %.4f, more than %.2f× the recent median %.4f", loss, jumpFactor, median));
            }
        }
        return Optional.empty();
    }

    /// Whether `loss` is a fault whatever the history: non-finite or above the ceiling. No honest step does that, so
    /// one update alone that causes it can be blamed; a jump over the recent median can be an honest spike.
    public boolean absurd(double loss) {
        return !Double.isFinite(loss) || loss > ceiling;
    }

    /// A version with this validation loss was published.
    public void published(double loss) {
        if (!Double.isFinite(loss)) return;
        recent.addLast(loss);
        while (recent.size() > RECENT) recent.pollFirst();
    }

    /// The median of the recent healthy losses, NaN when none.
    public double median() {
        if (recent.isEmpty()) return Double.NaN;
        double[] v = recent.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    @Override
    public String toString() {
        return "ValidationWatch" + Arrays.toString(recent.toArray());
    }
}
