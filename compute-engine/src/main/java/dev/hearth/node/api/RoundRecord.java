package dev.hearth.node.api;

import java.time.Instant;

/// One round this node took part in, as kept in the history database.
///
/// @param rejectReason empty when accepted
/// @param localLoss    loss on this node's own batches before the update
public record RoundRecord(String run, long round, Instant finishedAt, long tokens, double computeSeconds,
                          long bytesUp, long bytesDown, boolean accepted, String rejectReason,
                          double credits, double localLoss) {}
