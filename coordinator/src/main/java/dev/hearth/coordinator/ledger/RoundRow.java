package dev.hearth.coordinator.ledger;

import java.time.Duration;
import java.time.Instant;

/// One round attempt as stored.
///
/// @param version   the committed version, or -1 when the round did not commit
/// @param status    OPEN, COMMITTED, FAILED, ABANDONED or ROLLED_BACK
/// @param closed    null while open
/// @param meanLoss  NaN when unknown
/// @param valLoss   NaN when unknown
public record RoundRow(long round, long baseVersion, long version, String status, String reason, Instant opened,
                       Instant deadline, Instant closed, double meanLoss, double valLoss, long tokens, int accepted,
                       int rejected, long bytesIn, long bytesOut) {

    /// Open to close, or zero while open.
    public Duration duration() {
        return closed == null ? Duration.ZERO : Duration.between(opened, closed);
    }
}
