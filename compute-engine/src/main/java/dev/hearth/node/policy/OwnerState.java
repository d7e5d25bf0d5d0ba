package dev.hearth.node.policy;

import java.time.Instant;

/// What the owner asked for with the app's buttons.
///
/// @param paused               the pause toggle is on ("Pause" pressed, not yet "Resume")
/// @param snoozedUntil         end of a snooze, or null
/// @param finishRoundThenPause "finish this round, then pause": the node keeps running until the round
///                             ends, then the caller turns `paused` on
/// @param startedNow           the owner just pressed "Start contributing": run this round now even while they
///                             use the computer (they moved the mouse to click), then follow the policy
public record OwnerState(boolean paused, Instant snoozedUntil, boolean finishRoundThenPause, boolean startedNow) {

    /// No button pressed: follow the policy.
    public static final OwnerState AUTO = new OwnerState(false, null, false, false);

    public static OwnerState pausedByOwner() {
        return new OwnerState(true, null, false, false);
    }

    public static OwnerState snoozed(Instant until) {
        return new OwnerState(false, until, false, false);
    }

    public static OwnerState finishingRound() {
        return new OwnerState(false, null, true, false);
    }

    public static OwnerState justStarted() {
        return new OwnerState(false, null, false, true);
    }

    /// The owner wants the round in progress to end on its own: the owner's input, a full-screen app or the
    /// schedule do not stop it (safety rules still do: battery, another program on the GPU, temperature, power).
    public boolean holdsRound() {
        return finishRoundThenPause || startedNow;
    }
}
