package dev.hearth.node.energy;

import java.time.Instant;

/// Energy from power samples: the trapezoid rule over (time, watts) pairs fed in time order. Pure
/// and not thread-safe (one round's meter owns it).
///
/// A sample with unknown power (NaN) or one that does not move time forward is skipped; the integral
/// then bridges the gap from the last good sample, which is right for a reading that failed once and
/// wrong only by the change of power over that gap.
public final class PowerIntegral {

    private Instant lastAt;
    private double lastWatts = Double.NaN;
    private double joules;
    private int samples;

    /// Adds one sample: `watts` drawn at `at`.
    public void add(Instant at, double watts) {
        if (!Double.isFinite(watts) || watts < 0) return;
        if (lastAt != null) {
            if (!at.isAfter(lastAt)) return;
            double seconds = (at.toEpochMilli() - lastAt.toEpochMilli()) / 1000.0;
            joules += (lastWatts + watts) / 2 * seconds;
        }
        lastAt = at;
        lastWatts = watts;
        samples++;
    }

    /// The energy so far, J (0 until two samples span some time).
    public double joules() {
        return joules;
    }

    /// Whether at least two good samples were added, so [#joules] measures something.
    public boolean measured() {
        return samples >= 2;
    }
}
