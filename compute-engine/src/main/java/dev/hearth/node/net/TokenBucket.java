package dev.hearth.node.net;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/// A smooth token-bucket rate limiter for one direction (upload or download), in bytes per second.
///
/// Tokens refill continuously at the rate up to a small burst ([#BURST]). A caller *reserves* bytes
/// and is told how long to wait before sending them; the bucket may go into debt, so a chunk larger
/// than the burst is allowed but makes the *next* caller wait (as Guava's `RateLimiter` does). Over
/// any window the average stays at the rate, and no caller is starved by chunk size.
///
/// Time is an input: [#delayFor(long, Instant)] is pure bookkeeping, [#acquire(long)] reads the
/// injected clock. Neither sleeps; the caller sleeps or schedules (a Netty channel would use
/// `eventLoop().schedule`). Thread-safe. A rate of 0 means no cap.
public final class TokenBucket {

    /// 250 ms of traffic: enough that a stream of 64 KiB chunks flows without stalls, small enough
    /// that a burst never takes more than a quarter second of the owner's link at full speed.
    public static final Duration BURST = Duration.ofMillis(250);
    private static final double NANOS_PER_SECOND = 1e9;

    private final Clock clock;
    private long bytesPerSecond;
    private double tokens;       // may be negative: debt from a reservation larger than the balance
    private long lastRefillNanos; // in the clock's epoch nanoseconds
    private boolean started;

    /// @param bytesPerSecond 0 = no cap
    public TokenBucket(long bytesPerSecond, Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        setRate(bytesPerSecond);
    }

    /// Changes the rate at once (from the settings), keeping the current balance within the new burst.
    public synchronized void setRate(long bytesPerSecond) {
        if (bytesPerSecond < 0) throw new IllegalArgumentException("rate must be 0 (no cap) or positive, got " + bytesPerSecond + " B/s");
        this.bytesPerSecond = bytesPerSecond;
        tokens = Math.min(tokens, burstBytes());
    }

    public synchronized long rate() {
        return bytesPerSecond;
    }

    /// Reserves `bytes` now per the injected clock; returns how long to wait before sending them.
    public Duration acquire(long bytes) {
        return delayFor(bytes, clock.instant());
    }

    /// Reserves `bytes` at `now`; returns how long to wait before sending them (zero when within budget).
    public synchronized Duration delayFor(long bytes, Instant now) {
        if (bytes < 0) throw new IllegalArgumentException("bytes must not be negative, got " + bytes);
        if (bytesPerSecond == 0) return Duration.ZERO;
        long nowNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        if (!started) {
            // A fresh bucket starts full: the first chunk goes out at once.
            tokens = burstBytes();
            lastRefillNanos = nowNanos;
            started = true;
        } else if (nowNanos > lastRefillNanos) {
            tokens = Math.min(burstBytes(), tokens + (nowNanos - lastRefillNanos) * bytesPerSecond / NANOS_PER_SECOND);
            lastRefillNanos = nowNanos;
        }
        double waitSeconds = tokens >= bytes ? 0 : (bytes - tokens) / bytesPerSecond;
        tokens -= bytes;
        return Duration.ofNanos((long) Math.ceil(waitSeconds * NANOS_PER_SECOND));
    }

    private double burstBytes() {
        return bytesPerSecond * (BURST.toNanos() / NANOS_PER_SECOND);
    }
}
