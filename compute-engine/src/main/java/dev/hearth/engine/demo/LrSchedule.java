package dev.hearth.engine.demo;

/// Learning rate of the outer step per round: linear warmup from `lrMax/warmupRounds` to `lrMax` over the first
/// `warmupRounds` rounds, then a cosine from `lrMax` down to `lrMin` at `totalRounds`, `lrMin` after that.
///
/// Uses {@link StrictMath} so that the coordinator and every node compute the same float for a round.
///
/// @param warmupRounds rounds of linear warmup (0 for none)
/// @param totalRounds  round at which the cosine reaches lrMin; > warmupRounds
/// @param lrMax        peak learning rate (a sign step moves each parameter by lr)
/// @param lrMin        floor, 0 ≤ lrMin ≤ lrMax
public record LrSchedule(int warmupRounds, int totalRounds, float lrMax, float lrMin) {

    public LrSchedule {
        if (warmupRounds < 0 || totalRounds <= warmupRounds) {
            throw new IllegalArgumentException("lr schedule needs 0 ≤ warmupRounds < totalRounds, got "
                    + warmupRounds + " and " + totalRounds);
        }
        if (!(lrMax > 0f && Float.isFinite(lrMax)) || !(lrMin >= 0f && lrMin <= lrMax)) {
            throw new IllegalArgumentException("lr schedule needs 0 ≤ lrMin ≤ lrMax, lrMax > 0 and finite, got lrMin "
                    + lrMin + ", lrMax " + lrMax);
        }
    }

    /// The learning rate of round `round` (0-based).
    public float lr(long round) {
        if (round < 0) {
            throw new IllegalArgumentException("round must be ≥ 0, got " + round);
        }
        if (round < warmupRounds) {
            return (float) ((double) lrMax * (round + 1) / warmupRounds);
        }
        if (round >= totalRounds) {
            return lrMin;
        }
        double progress = (double) (round - warmupRounds) / (totalRounds - warmupRounds);
        double cosine = 0.5 * (1 + StrictMath.cos(StrictMath.PI * progress));
        return (float) (lrMin + (lrMax - (double) lrMin) * cosine);
    }
}
