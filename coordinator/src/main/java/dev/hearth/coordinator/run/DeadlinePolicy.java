package dev.hearth.coordinator.run;

import java.time.Duration;
import java.util.Map;

/// How long a round stays open: long enough for the slowest assigned node at its measured speed, times a
/// safety factor, plus slack for the upload, clamped to bounds. A fixed timeout nobody can guess is a known
/// pain point of hivemind; measuring is cheap.
///
/// `deadline = clamp(safetyFactor × max_n(tokens_n / speed_n) + slack, min, max)`
///
/// @param safetyFactor multiplier on the slowest node's expected time (>= 1)
/// @param slack        added after the multiplication: upload, decode and network time that does not scale with tokens
/// @param min          never shorter: a round shorter than a handshake only produces misses
/// @param max          never longer: bounds how long one stuck node can stall the run
public record DeadlinePolicy(double safetyFactor, Duration slack, Duration min, Duration max) {

    /// 2×: a volunteer's speed swings with thermals, the owner's other work and the first-round warm-up (JIT,
    /// CUDA context); 2× lets a node that slows to half speed still make it.
    public static final double DEFAULT_SAFETY_FACTOR = 2.0;
    /// 10 s: upload of a ~1 MiB update over a slow home uplink plus validation.
    public static final Duration DEFAULT_SLACK = Duration.ofSeconds(10);
    /// 15 s: below this the fixed costs (round start message, checkpoint delta) dominate.
    public static final Duration DEFAULT_MIN = Duration.ofSeconds(15);
    /// 10 min: a round that cannot finish in 10 minutes should be given fewer sequences per node.
    public static final Duration DEFAULT_MAX = Duration.ofMinutes(10);

    public DeadlinePolicy {
        if (!(safetyFactor >= 1.0) || Double.isInfinite(safetyFactor)) {
            throw new IllegalArgumentException("deadline safety factor must be a finite number >= 1, got " + safetyFactor);
        }
        if (slack.isNegative() || min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("deadline bounds need slack >= 0 and 0 < min <= max, got slack " + slack
                    + ", min " + min + ", max " + max);
        }
    }

    public static DeadlinePolicy defaults() {
        return new DeadlinePolicy(DEFAULT_SAFETY_FACTOR, DEFAULT_SLACK, DEFAULT_MIN, DEFAULT_MAX);
    }

    /// The chosen duration and why, for logs and the round-start message.
    public record Choice(Duration duration, String reason) {
    }

    /// The round's deadline for these nodes.
    ///
    /// @param tokensPerNode  tokens each assigned node must train this round
    /// @param tokensPerSecond expected speed per node (measured, or the Hello estimate); missing or non-positive
    ///                       speeds mean "unknown" and give the maximum
    public Choice choose(Map<String, Long> tokensPerNode, Map<String, Double> tokensPerSecond) {
        if (tokensPerNode.isEmpty()) {
            return new Choice(min, "no nodes assigned: minimum " + min.toSeconds() + " s");
        }
        double slowestSeconds = 0;
        String slowest = null;
        for (var e : tokensPerNode.entrySet()) {
            Double speed = tokensPerSecond.get(e.getKey());
            if (speed == null || !(speed > 0) || speed.isInfinite()) {
                return new Choice(max, "node " + e.getKey() + " has no speed estimate yet: maximum " + max.toSeconds() + " s");
            }
            double seconds = e.getValue() / speed;
            if (seconds > slowestSeconds || slowest == null) {
                slowestSeconds = seconds;
                slowest = e.getKey();
            }
        }
        double wantedSeconds = safetyFactor * slowestSeconds + slack.toNanos() / 1e9;
        long wantedMillis = (long) Math.ceil(Math.min(wantedSeconds * 1000.0, Long.MAX_VALUE / 2.0));
        Duration wanted = Duration.ofMillis(wantedMillis);
        String basis = String.format(java.util.Locale.ROOT, "slowest node %s needs %.1f s for %d tokens; %.1f× + %d s slack = %.1f s",
                slowest, slowestSeconds, tokensPerNode.get(slowest), safetyFactor, slack.toSeconds(), wantedSeconds);
        if (wanted.compareTo(min) < 0) {
            return new Choice(min, basis + ", raised to the minimum " + min.toSeconds() + " s");
        }
        if (wanted.compareTo(max) > 0) {
            return new Choice(max, basis + ", capped at the maximum " + max.toSeconds() + " s");
        }
        return new Choice(wanted, basis);
    }
}
