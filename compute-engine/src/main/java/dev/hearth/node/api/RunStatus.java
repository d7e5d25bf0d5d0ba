package dev.hearth.node.api;

import java.util.List;

/// The run's global picture as the coordinator reports it.
///
/// @param runName        the run's name
/// @param round          the last committed round
/// @param nodesOnline    nodes connected now
/// @param lossHistory    mean training loss per committed round, oldest first (bounded)
/// @param validationLoss (round, validation loss) points, oldest first
/// @param yourRank       this node's rank by credits (1 = most), 0 when it has none yet
/// @param rankedNodes    how many nodes have credits
/// @param yourCredits    this node's credits in this run
/// @param sample         a few lines of text sampled from the current model (may be empty)
public record RunStatus(String runName, long round, int nodesOnline, List<Double> lossHistory,
                        List<double[]> validationLoss, int yourRank, int rankedNodes, double yourCredits,
                        String sample) {

    public static RunStatus unknown() {
        return new RunStatus("", 0, 0, List.of(), List.of(), 0, 0, 0, "");
    }
}
