package dev.hearth.coordinator.dashboard;

import java.util.List;

/// What `/api/status` returns (serialized as JSON field by field). Unknown numbers are null, not NaN, so
/// the JSON stays valid and the charts leave gaps.
///
/// @param phase         the run state machine's phase (`ROUND_OPEN`, ...)
/// @param round         last round id opened
/// @param version       last committed version
/// @param nodesOnline   nodes connected and ready
/// @param tokens        tokens in committed versions
/// @param bytesIn       update bytes received
/// @param bytesOut      bytes sent (commits, checkpoints)
/// @param history       recent committed rounds, oldest first
/// @param sample        a few lines of text sampled from the current model (may be empty)
/// @param devices       each connected node and what it trains on, in its own words (`3f2a9c1b: training on …`)
/// @param updatedAtMillis when this status was assembled (Unix epoch ms)
/// @param fault         why the run is not advancing, in words (the model's health: a round whose version would
///                      have been non-finite, moved too far, or raised the validation loss far above its recent
///                      values), or null while it is healthy
public record DashboardStatus(String runId, String name, String phase, long round, long version, long totalRounds,
                              int nodesOnline, long tokens, long bytesIn, long bytesOut, List<RoundPoint> history,
                              String sample, List<String> devices, long updatedAtMillis,
                              String fault) {
    public DashboardStatus {
        history = List.copyOf(history);
        devices = List.copyOf(devices);
    }

    /// One committed round for the charts.
    ///
    /// @param meanLoss       training loss reported by the nodes (token-weighted), null when unknown
    /// @param valLoss        validation loss of the version, null when not measured that round
    /// @param durationMillis open to commit
    public record RoundPoint(long round, long version, Double meanLoss, Double valLoss, long durationMillis, long tokens,
                             int accepted, int rejected) {
    }
}
