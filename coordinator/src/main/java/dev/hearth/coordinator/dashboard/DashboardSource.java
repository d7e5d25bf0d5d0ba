package dev.hearth.coordinator.dashboard;

import dev.hearth.coordinator.ledger.LeaderboardEntry;

import java.util.List;

/// Where the dashboard's data comes from; the coordinator's live run implements it (see
/// {@link LedgerDashboardSource} for one backed by the ledger). Called on the dashboard's own I/O thread, never
/// on a Netty event loop, so implementations may query SQLite; they must be thread-safe.
public interface DashboardSource {

    /// The run's current status; the text sample comes from the server's sample supplier, so leave it empty.
    DashboardStatus status();

    /// Nodes by credits, highest first, at most `limit`.
    List<LeaderboardEntry> leaderboard(int limit);
}
