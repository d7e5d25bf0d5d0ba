package dev.hearth.coordinator.run;

/// The round-level verdict on an upload: accepted, or rejected with a code and a sentence for the node's
/// receipt and the ledger.
public record UploadDecision(boolean accepted, Rejection code, String reason) {

    /// Why an upload did not count at the round level.
    public enum Rejection {
        /// Accepted (no rejection).
        NONE,
        /// The round's deadline passed, or the round is already closed.
        LATE,
        /// Not the open round (a future round, or a round that never existed).
        WRONG_ROUND,
        /// The node already uploaded for this round.
        DUPLICATE,
        /// The node has no batches in this round.
        NOT_ASSIGNED,
        /// The claimed token count is not what the node was assigned.
        BAD_TOKENS,
        /// The run is paused, finished or has no open round.
        NO_OPEN_ROUND
    }

    public static UploadDecision accept() {
        return new UploadDecision(true, Rejection.NONE, "accepted");
    }

    public static UploadDecision reject(Rejection code, String reason) {
        if (code == Rejection.NONE) {
            throw new IllegalArgumentException("a rejection needs a code");
        }
        return new UploadDecision(false, code, reason);
    }
}
