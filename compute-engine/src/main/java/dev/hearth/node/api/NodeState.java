package dev.hearth.node.api;

/// What the node is doing now. The desktop app shows it with {@link NodeSnapshot#headline()}.
public enum NodeState {
    /// Starting up: opening the data dir, history, identity.
    STARTING,
    /// Connecting (or reconnecting with backoff) to the coordinator.
    CONNECTING,
    /// Fetching the checkpoint it lacks.
    DOWNLOADING,
    /// Joined; no round is open for this node yet.
    WAITING_FOR_ROUND,
    /// The worker is training this round's batches.
    TRAINING,
    /// The compressed update is being sent.
    UPLOADING,
    /// Not contributing; {@link NodeSnapshot#reason()} says why (owner input, a game on the GPU, the toggle...).
    PAUSED,
    /// Something failed in a way the node cannot fix by retrying; the reason says what the owner can do.
    ERROR,
    /// Shut down.
    STOPPED
}
