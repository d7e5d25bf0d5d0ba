package dev.hearth.coordinator.ledger;

import java.time.Instant;

/// One upload as the ledger keeps it, accepted or not.
///
/// @param reason "accepted", or the rejection sentence sent to the node
/// @param bytes  size of the upload on the wire
/// @param tokens tokens the node claimed (0 if it could not be read)
/// @param norm   L2 norm of the decoded update, NaN when it was not decoded
public record UpdateRecord(long round, String nodeId, boolean accepted, String reason, long bytes, long tokens,
                           double norm, Instant receivedAt) {
    public UpdateRecord {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("an update record needs a reason");
        }
    }
}
