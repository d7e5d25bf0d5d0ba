package dev.hearth.protocol.framing;

import java.util.function.LongSupplier;

/// A token bucket: holds at most `capacity` tokens, refilled continuously at `ratePerSecond`; each message
/// takes one. Not thread-safe: one bucket per connection, used on its event loop.
public final class TokenBucket {
    private static final double NANOS_PER_SECOND = 1e9;

    private final double capacity;
    private final double ratePerNano;
    private final LongSupplier nanoClock;
    private double tokens;
    private long lastRefillNanos;

    /// @param nanoClock monotonic time in nanoseconds (`System::nanoTime`, or a hand-driven clock in tests)
    public TokenBucket(int capacity, int ratePerSecond, LongSupplier nanoClock) {
        if (capacity < 1 || ratePerSecond < 1) {
            throw new IllegalArgumentException("capacity and rate must be positive, got " + capacity + " and "
                    + ratePerSecond);
        }
        this.capacity = capacity;
        this.ratePerNano = ratePerSecond / NANOS_PER_SECOND;
        this.nanoClock = nanoClock;
        this.tokens = capacity;
        this.lastRefillNanos = nanoClock.getAsLong();
    }

    /// Takes one token if there is one.
    ///
    /// @return whether a token was available
    public boolean tryAcquire() {
        long now = nanoClock.getAsLong();
        tokens = Math.min(capacity, tokens + (now - lastRefillNanos) * ratePerNano);
        lastRefillNanos = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
