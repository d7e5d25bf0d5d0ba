package dev.hearth.coordinator.run;

/// The fixed rules of a run the state machine enforces (from `run.toml`).
///
/// @param minNodes          ready nodes needed to open a round
/// @param minUploads        accepted uploads after which a round closes before its deadline (stragglers' batches
///                          return to the pool); a round also closes as soon as every assigned node has answered
/// @param sequencesPerNode  batch ids (windows) per node per round
/// @param tokensPerSequence tokens trained per window (the model's context): the node's token weight
/// @param totalRounds       committed versions after which the run finishes
/// @param trainWindows      windows in the training split: batch ids are `[0, trainWindows)`
/// @param seed              the run's seed for the order of each pass over the corpus
/// @param spotCheckFraction fraction of accepted uploads per round chosen for the loss spot check, in [0, 1]; above 0
///                          at least [SpotCheckSampler#MIN_CHECKS_PER_ROUND] a round are chosen, 0 turns the checks off
/// @param deadline          how long rounds stay open
public record RunRules(int minNodes, int minUploads, int sequencesPerNode, int tokensPerSequence, long totalRounds,
                       long trainWindows, long seed, double spotCheckFraction, DeadlinePolicy deadline) {
    public RunRules {
        require(minNodes >= 1, "min nodes must be >= 1, got " + minNodes);
        require(minUploads >= 1, "min uploads must be >= 1, got " + minUploads);
        require(sequencesPerNode >= 1, "sequences per node must be >= 1, got " + sequencesPerNode);
        require(tokensPerSequence >= 1, "tokens per sequence must be >= 1, got " + tokensPerSequence);
        require(totalRounds >= 1, "total rounds must be >= 1, got " + totalRounds);
        require(trainWindows >= 1, "the training split has no windows: the corpus is shorter than one context");
        require(spotCheckFraction >= 0 && spotCheckFraction <= 1, "spot check fraction must be in [0, 1], got " + spotCheckFraction);
        java.util.Objects.requireNonNull(deadline, "deadline policy");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /// Tokens a node trains per round.
    public long tokensPerNode() {
        return (long) sequencesPerNode * tokensPerSequence;
    }
}
