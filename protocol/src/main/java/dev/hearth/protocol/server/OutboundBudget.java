package dev.hearth.protocol.server;

import dev.hearth.protocol.ProtocolLimits;
import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/// What one connection may have queued for sending, counted from the moment a message is handed to
/// [#reserve] (on whatever thread) until its bytes are written to the socket, so that the count includes writes
/// still waiting in the event loop's task queue: the channel's own outbound buffer only sees a write once the
/// event loop has run it, which let 190 chunk requests queue 190 MiB before the 64 MiB cap was ever checked.
///
/// * Over [#highWater]: the server stops reading the peer's requests (`autoRead` off), which is back-pressure
///   a TCP peer feels: it cannot ask for more until it reads what it asked for.
/// * Back under [#lowWater]: reading resumes.
/// * Still over [#lowWater] [#drainTimeout] after reading stopped: the connection is closed with a reason.
/// * A message that would take the queue over [#cap] is not queued; the connection is closed with a reason.
///
/// Thread-safe: [#reserve] runs on the application's threads, [#release] and the drain timer on the event loop.
final class OutboundBudget {
    private final Channel channel;
    private final long lowWater;
    private final long highWater;
    private final long cap;
    private final Duration drainTimeout;
    private final Consumer<String> close;

    private long queued;
    private boolean paused;
    private ScheduledFuture<?> drainTimer;

    /// @param close closes the connection with the given reason (called at most once per breach)
    OutboundBudget(Channel channel, long lowWater, long highWater, long cap, Duration drainTimeout,
                   Consumer<String> close) {
        if (!(0 <= lowWater && lowWater < highWater && highWater < cap)) {
            throw new IllegalArgumentException("need 0 <= low water < high water < cap, got " + lowWater + ", "
                    + highWater + ", " + cap);
        }
        this.channel = channel;
        this.lowWater = lowWater;
        this.highWater = highWater;
        this.cap = cap;
        this.drainTimeout = drainTimeout;
        this.close = close;
    }

    /// The server's limits: [ProtocolLimits#WRITE_BUFFER_LOW_WATER_MARK_BYTES],
    /// [ProtocolLimits#WRITE_BUFFER_HIGH_WATER_MARK_BYTES], [ProtocolLimits#MAX_PENDING_OUTBOUND_BYTES],
    /// [ProtocolLimits#OUTPUT_DRAIN_TIMEOUT].
    static OutboundBudget standard(Channel channel, Consumer<String> close) {
        return new OutboundBudget(channel, ProtocolLimits.WRITE_BUFFER_LOW_WATER_MARK_BYTES,
                ProtocolLimits.WRITE_BUFFER_HIGH_WATER_MARK_BYTES, ProtocolLimits.MAX_PENDING_OUTBOUND_BYTES,
                ProtocolLimits.OUTPUT_DRAIN_TIMEOUT, close);
    }

    /// Counts `bytes` about to be written.
    ///
    /// @return false (nothing counted, the connection is being closed) when they would pass the cap
    boolean reserve(long bytes) {
        String breach = null;
        synchronized (this) {
            if (queued + bytes > cap) {
                breach = "too slow: " + queued + " bytes already waiting to be sent and " + bytes + " more would pass"
                        + " the cap of " + cap;
            } else {
                queued += bytes;
                if (queued > highWater && !paused) {
                    paused = true;
                    channel.config().setAutoRead(false);
                    drainTimer = channel.eventLoop().schedule(this::drainTimedOut, drainTimeout.toNanos(),
                            TimeUnit.NANOSECONDS);
                }
            }
        }
        if (breach != null) {
            close.accept(breach);
            return false;
        }
        return true;
    }

    /// `bytes` reserved earlier were written (or failed to be): uncounts them and resumes reading when under the
    /// low-water mark.
    void release(long bytes) {
        synchronized (this) {
            queued = Math.max(0, queued - bytes);
            if (paused && queued <= lowWater) {
                paused = false;
                if (drainTimer != null) {
                    drainTimer.cancel(false);
                    drainTimer = null;
                }
                channel.config().setAutoRead(true);
            }
        }
    }

    private void drainTimedOut() {
        long left;
        synchronized (this) {
            if (!paused) {
                return;
            }
            left = queued;
        }
        close.accept("too slow: " + left + " bytes still waiting to be sent " + drainTimeout.toSeconds()
                + " s after the server stopped reading its requests (it resumes under " + lowWater + ")");
    }

    /// Bytes counted now.
    synchronized long queued() {
        return queued;
    }

    /// Whether reading the peer's requests is paused.
    synchronized boolean paused() {
        return paused;
    }
}
