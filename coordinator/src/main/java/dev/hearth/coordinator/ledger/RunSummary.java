package dev.hearth.coordinator.ledger;

/// Totals of the run for the dashboard.
///
/// @param lastRound    last round id opened (0 before the first)
/// @param version      last committed version (0 before the first commit)
/// @param tokens       tokens in committed versions
public record RunSummary(String runId, String name, long lastRound, long version, long tokens, long nodesSeen,
                         long nodesQuarantined, long acceptedUpdates, long rejectedUpdates, long bytesIn,
                         long bytesOut) {
}
