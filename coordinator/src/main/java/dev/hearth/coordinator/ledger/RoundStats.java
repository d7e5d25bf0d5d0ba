package dev.hearth.coordinator.ledger;

/// Numbers of a committed round that only the I/O layer knows.
///
/// @param meanLoss  token-weighted mean of the training losses the nodes reported, NaN if none
/// @param valLoss   validation loss of the new version, NaN when not measured this round
/// @param rejected  uploads rejected in this round
/// @param bytesIn   update bytes received this round
/// @param bytesOut  commit bytes sent this round (all nodes)
public record RoundStats(double meanLoss, double valLoss, int rejected, long bytesIn, long bytesOut) {
    public static RoundStats none() {
        return new RoundStats(Double.NaN, Double.NaN, 0, 0, 0);
    }
}
