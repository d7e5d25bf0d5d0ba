package dev.hearth.coordinator.run;

/// Where a run is. See {@link RunStateMachine} for the transitions.
public enum RunPhase {
    /// Fewer ready nodes than the quorum to open a round.
    WAITING_FOR_NODES,
    /// A round is open: nodes train their assigned batches and upload.
    ROUND_OPEN,
    /// The round is closed; the I/O layer is aggregating and applying the outer step.
    AGGREGATING,
    /// The last round is committed; the next tick opens the next one.
    COMMITTED,
    /// Stopped by the operator at a round boundary; resumable.
    PAUSED,
    /// Total rounds reached or finished by the operator; terminal.
    FINISHED
}
