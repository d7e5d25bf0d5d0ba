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
/// @param backend         engine backend and device, e.g. "training on NVIDIA GeForce RTX 3060 (compute capability 8.6) at micro-batch 8: …"
/// @param snoozedUntil    end of an owner snooze, or null
/// @param pauseAfterRound true when the owner asked to finish the round and then pause
/// @param pausedByOwner   true when the owner stopped contributing (Pause, Snooze, or a finished "finish the
///                        round, then pause") — from any front end: the app, the tray or `hearth pause`. A pause
///                        by the idle policy ("you are using the computer") is not one.
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
        boolean pauseAfterRound,
        boolean pausedByOwner) {

    /// Without the owner's part (the run session does not know it; the node adds it with [#withOwner]).
    public NodeSnapshot(Instant at, NodeState state, String headline, String reason, String runName, String coordinator,
                        long round, double roundProgress, double tokensPerSecond, double localLoss, String backend,
                        Instant snoozedUntil, boolean pauseAfterRound) {
        this(at, state, headline, reason, runName, coordinator, round, roundProgress, tokensPerSecond, localLoss, backend,
                snoozedUntil, pauseAfterRound, false);
    }

    public static NodeSnapshot starting(Instant now) {
        return new NodeSnapshot(now, NodeState.STARTING, "Starting", "", "", "", 0, 0, 0, Double.NaN, "", null, false);
    }

    /// This snapshot with what the owner asked for: paused by them, and until when a snooze lasts (or null).
    public NodeSnapshot withOwner(boolean paused, Instant snoozed) {
        return new NodeSnapshot(at, state, headline, reason, runName, coordinator, round, roundProgress, tokensPerSecond,
                localLoss, backend, snoozed, pauseAfterRound, paused);
    }

    /// This snapshot with another reason (the node adds why it runs when the session has none to say).
    public NodeSnapshot withReason(String why) {
        return new NodeSnapshot(at, state, headline, why, runName, coordinator, round, roundProgress, tokensPerSecond,
                localLoss, backend, snoozedUntil, pauseAfterRound, pausedByOwner);
    }

    /// The one line a person reads: the headline, the reason when the headline does not already say it,
    /// and a pending "finish the round, then pause".
    public String line() {
        String h = headline == null || headline.isBlank() ? state.name().toLowerCase(java.util.Locale.ROOT) : headline;
        String r = reason == null ? "" : reason.strip();
        String line = r.isEmpty() || h.contains(r) ? h : h + " — " + r;
        return pauseAfterRound && !pausedByOwner ? line + " — finishing this round, then pausing" : line;
    }
}
