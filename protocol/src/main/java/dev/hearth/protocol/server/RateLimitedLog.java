package dev.hearth.protocol.server;

import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.framing.TokenBucket;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/// Log lines that a remote party can cause at will (a connection flood: TLS failures, handshake timeouts,
/// rejected hellos), passed through a [TokenBucket] so that the flood cannot fill the disk. Lines left out are
/// counted, and the count goes out with the next line that passes, so the log still says how many there were.
/// Thread-safe (one per server, shared by its event loops).
final class RateLimitedLog {
    private final Consumer<String> sink;
    private final TokenBucket bucket;
    private long leftOut;

    /// @param sink      where a line that passes goes
    /// @param nanoClock monotonic nanoseconds (`System::nanoTime`, or a hand-driven clock in tests)
    RateLimitedLog(Consumer<String> sink, int burst, int perSecond, LongSupplier nanoClock) {
        this.sink = sink;
        this.bucket = new TokenBucket(burst, perSecond, nanoClock);
    }

    /// [ProtocolLimits#UNAUTHENTICATED_LOG_BURST] lines, then [ProtocolLimits#UNAUTHENTICATED_LOG_PER_SECOND],
    /// at WARN on `log`.
    static RateLimitedLog unauthenticated(Logger log) {
        return new RateLimitedLog(log::warn, ProtocolLimits.UNAUTHENTICATED_LOG_BURST,
                ProtocolLimits.UNAUTHENTICATED_LOG_PER_SECOND, System::nanoTime);
    }

    /// Logs `line` unless over the rate.
    ///
    /// @return whether it was logged
    boolean log(String line) {
        long before;
        synchronized (this) {
            if (!bucket.tryAcquire()) {
                leftOut++;
                return false;
            }
            before = leftOut;
            leftOut = 0;
        }
        sink.accept(before == 0 ? line : line + " (" + before + " similar line(s) left out before this one)");
        return true;
    }
}
