package dev.hearth.node.api;

import java.time.Instant;

/// An immutable picture of the node, published after every change and sampled by the UI (≤ 4 Hz).
///
/// @param at              when this snapshot was taken
/// @param state           what the node is doing
/// @param headline        the one-line state a person reads: "Training round 412", "Uploading 38 KB",
///                        "Paused — you are using the computer", "Waiting for the round to open"
/// @param reason          why, when paused or in error (empty otherwise)
/// @param runName         the run this node is part of (empty before joining)
/// @param coordinator     the run address (`hearth://host:port#sha256=...`) or "local run"
/// @param round           the round being trained or last seen
/// @param roundProgress   0..1 progress through this round's batches
/// @param tokensPerSecond training speed over the last round (0 when idle)
/// @param localLoss       the loss of the last trained batch (NaN before the first)
/// @param backend         engine backend and device, e.g. "no NVIDIA GPU found; training on CPU (2 of 2 cores), ..."
/// @param snoozedUntil    end of an owner snooze, or null
/// @param pauseAfterRound true when the owner asked to finish the round and then pause
public record NodeSnapshot(
        Instant at,
        NodeState state,
        String headline,
        String reason,
        String runName,
        String coordinator,
        long round,
        double roundProgress,
        double tokensPerSecond,
        double localLoss,
        String backend,
        Instant snoozedUntil,
        boolean pauseAfterRound) {

    public static NodeSnapshot starting(Instant now) {
        return new NodeSnapshot(now, NodeState.STARTING, "Starting", "", "", "", 0, 0, 0, Double.NaN, "", null, false);
    }
}
