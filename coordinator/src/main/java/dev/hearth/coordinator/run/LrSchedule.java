package dev.hearth.coordinator.run;

/// The outer learning rate per committed version: linear warm-up from `lrMin` to `lrMax` over `warmup`
/// versions, then cosine decay to `lrMin` at `total` (the schedule of nanoGPT's `get_lr`, counted in outer
/// steps instead of inner iterations).
///
/// @param lrMax  peak rate, reached at the end of warm-up
/// @param lrMin  floor: start of warm-up and end of decay
/// @param warmup versions of warm-up (0: start at the peak)
/// @param total  the run's total versions
public record LrSchedule(double lrMax, double lrMin, long warmup, long total) {
    public LrSchedule {
        if (!(lrMax > 0) || !(lrMin >= 0) || lrMin > lrMax || warmup < 0 || total < 1) {
            throw new IllegalArgumentException("lr schedule needs 0 <= lrMin <= lrMax, lrMax > 0, warmup >= 0, total >= 1; got "
                    + lrMax + ", " + lrMin + ", " + warmup + ", " + total);
        }
    }

    /// The rate for the outer step that produces version `version + 1` from `version` (0-based step index).
    public double at(long version) {
        if (version < warmup) {
            return lrMin + (lrMax - lrMin) * (version + 1) / (double) warmup;
        }
        if (version >= total) {
            return lrMin;
        }
        long decaySteps = Math.max(1, total - warmup);
        double progress = (version - warmup) / (double) decaySteps; // 0 at the end of warm-up, → 1 at total
        return lrMin + 0.5 * (1 + Math.cos(Math.PI * progress)) * (lrMax - lrMin);
    }
}
