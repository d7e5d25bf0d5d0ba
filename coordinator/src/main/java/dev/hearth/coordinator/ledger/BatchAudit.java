package dev.hearth.coordinator.ledger;

import java.util.List;
import java.util.Map;

/// What the ledger says about committed batches.
///
/// @param trainWindows     ids per pass
/// @param perEpoch         epoch → committed ids
/// @param duplicates       (epoch, id) pairs committed more than once (the primary key keeps this at 0;
///                         counted anyway so the proof does not rest on the schema alone)
/// @param outOfRange       committed ids outside `[0, trainWindows)`
/// @param orphaned         committed ids whose round is not COMMITTED
/// @param problems         each finding as a sentence
public record BatchAudit(long trainWindows, Map<Integer, Long> perEpoch, long duplicates, long outOfRange,
                         long orphaned, List<String> problems) {
    public BatchAudit {
        perEpoch = Map.copyOf(perEpoch);
        problems = List.copyOf(problems);
    }

    /// No id committed twice, none outside the corpus, none attached to an uncommitted round, and every
    /// pass before `throughEpoch` complete: nothing lost. (While a run is live, ids of the previous pass may
    /// legitimately be back in the pool, so pass the current epoch only when nothing is outstanding.)
    public boolean everyBatchCommittedExactlyOnce(int throughEpoch) {
        if (duplicates != 0 || outOfRange != 0 || orphaned != 0) {
            return false;
        }
        for (int e = 0; e < throughEpoch; e++) {
            if (perEpoch.getOrDefault(e, 0L) != trainWindows) {
                return false;
            }
        }
        return true;
    }

    /// Passes that are complete.
    public long completeEpochs() {
        return perEpoch.values().stream().filter(n -> n == trainWindows).count();
    }
}
