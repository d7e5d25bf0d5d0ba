package dev.hearth.coordinator.ledger;

/// Credits of one node: tokens of its updates that went into committed versions (see {@link Ledger}).
public record LeaderboardEntry(String nodeId, long credits, long rounds, boolean quarantined) {
}
