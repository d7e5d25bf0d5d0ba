package dev.hearth.node.policy;

import java.time.Instant;

/// What the owner asked for with the app's buttons.
///
/// @param paused               the pause toggle is on ("Pause" pressed, not yet "Resume")
/// @param snoozedUntil         end of a snooze, or null
/// @param finishRoundThenPause "finish this round, then pause": the node keeps running until the round
///                             ends, then the caller turns `paused` on
public record OwnerState(boolean paused, Instant snoozedUntil, boolean finishRoundThenPause) {

    /// No button pressed: follow the policy.
    public static final OwnerState AUTO = new OwnerState(false, null, false);

    public static OwnerState pausedByOwner() {
        return new OwnerState(true, null, false);
    }

    public static OwnerState snoozed(Instant until) {
        return new OwnerState(false, until, false);
    }

    public static OwnerState finishingRound() {
        return new OwnerState(false, null, true);
    }
}
