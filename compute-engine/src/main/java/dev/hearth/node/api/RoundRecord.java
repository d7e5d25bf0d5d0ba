package dev.hearth.node.api;

import java.time.Instant;

/// One round this node took part in, as kept in the history database.
///
/// @param rejectReason empty when accepted
/// @param localLoss    loss on this node's own batches before the update
/// @param energy       what the round used and how that was known; null when not metered (rounds
///                     recorded before energy metering)
public record RoundRecord(String run, long round, Instant finishedAt, long tokens, double computeSeconds,
                          long bytesUp, long bytesDown, boolean accepted, String rejectReason,
                          double credits, double localLoss, RoundEnergy energy) {

    /// A round without an energy figure.
    public RoundRecord(String run, long round, Instant finishedAt, long tokens, double computeSeconds,
                       long bytesUp, long bytesDown, boolean accepted, String rejectReason,
                       double credits, double localLoss) {
        this(run, round, finishedAt, tokens, computeSeconds, bytesUp, bytesDown, accepted, rejectReason, credits,
                localLoss, null);
    }
}
