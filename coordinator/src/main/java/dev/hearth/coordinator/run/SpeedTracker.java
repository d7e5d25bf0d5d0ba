package dev.hearth.coordinator.run;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/// Expected training speed per node in tokens per second: the node's own estimate from its Hello at
/// first, then an exponentially weighted mean of what its uploads showed
/// (`tokens / (upload time − round open time)`), which includes its network time — that is what the
/// deadline has to cover.
public final class SpeedTracker {

    /// Weight of the newest measurement: 0.5 follows a node that slowed down (owner started a game) within
    /// two rounds while one lucky round does not double its estimate.
    public static final double SMOOTHING = 0.5;
    /// After a miss the node is assumed at most 80 % as fast as "all its tokens in the round's whole
    /// duration", so the next deadline grows instead of the node missing forever.
    public static final double MISS_DISCOUNT = 0.8;
    /// Elapsed times shorter than this are treated as this: uploads in the same millisecond as the round
    /// opened (tests, loopback) would otherwise claim an infinite speed.
    public static final Duration MIN_ELAPSED = Duration.ofMillis(1);

    private final Map<String, Double> speeds = new HashMap<>();

    /// The Hello's estimate; ignored if the node already has a measurement (a reconnect does not reset it).
    public void estimate(String nodeId, double tokensPerSecond) {
        if (tokensPerSecond > 0 && Double.isFinite(tokensPerSecond)) {
            speeds.putIfAbsent(nodeId, tokensPerSecond);
        }
    }

    /// An accepted upload of `tokens` arrived `elapsed` after the round opened.
    public void measured(String nodeId, long tokens, Duration elapsed) {
        double seconds = Math.max(elapsed.toNanos(), MIN_ELAPSED.toNanos()) / 1e9;
        double speed = tokens / seconds;
        speeds.merge(nodeId, speed, (old, now) -> SMOOTHING * now + (1 - SMOOTHING) * old);
    }

    /// The node missed a round in which it had `tokens` to train and `elapsed` time.
    public void missed(String nodeId, long tokens, Duration elapsed) {
        double seconds = Math.max(elapsed.toNanos(), MIN_ELAPSED.toNanos()) / 1e9;
        double bound = MISS_DISCOUNT * tokens / seconds;
        speeds.merge(nodeId, bound, Math::min);
    }

    /// Tokens per second, or 0 when nothing is known.
    public double speed(String nodeId) {
        return speeds.getOrDefault(nodeId, 0.0);
    }

    public Map<String, Double> snapshot() {
        return Map.copyOf(speeds);
    }
}
