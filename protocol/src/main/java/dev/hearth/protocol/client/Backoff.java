package dev.hearth.protocol.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/// Reconnect delays: exponential from `initial`, doubling per failed attempt, capped at `max`, with "equal
/// jitter" (half the delay fixed, half random) so that nodes dropped together by a coordinator restart do not
/// all come back in the same millisecond, yet none retries sooner than half the nominal delay.
///
/// @param initial delay before the first reconnect
/// @param max cap on the nominal delay
/// @param random jitter source (seed it in tests)
public record Backoff(Duration initial, Duration max, RandomGenerator random) {
    /// 1 s: long enough not to hammer a coordinator that is restarting, short enough to hide a network blip.
    public static final Duration INITIAL_RECONNECT_DELAY = Duration.ofSeconds(1);
    /// 60 s: a node never waits longer than a minute to notice its coordinator is back.
    public static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(60);
    /// Doublings before the cap is certainly reached; avoids overflow for large attempt counts.
    private static final int MAX_DOUBLINGS = 30;

    public Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 < initial <= max, got initial " + initial + " and max " + max);
        }
    }

    /// The defaults ([#INITIAL_RECONNECT_DELAY] to [#MAX_RECONNECT_DELAY]) with a fresh random source.
    public static Backoff standard() {
        return new Backoff(INITIAL_RECONNECT_DELAY, MAX_RECONNECT_DELAY, RandomGenerator.getDefault());
    }

    /// Nominal (unjittered) delay before reconnect attempt `attempt` (1-based): `min(max, initial · 2^(attempt-1))`.
    public Duration nominalDelay(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt is 1-based, got " + attempt);
        }
        int doublings = Math.min(attempt - 1, MAX_DOUBLINGS);
        long millis = initial.toMillis() << doublings;
        return Duration.ofMillis(Math.min(millis, max.toMillis()));
    }

    /// Jittered delay before attempt `attempt`: uniformly within [nominal/2, nominal].
    public Duration delay(int attempt) {
        long nominal = nominalDelay(attempt).toMillis();
        long half = nominal / 2;
        return Duration.ofMillis(half + random.nextLong(nominal - half + 1));
    }
}
