package dev.hearth.node.policy;

import java.time.Instant;
import java.util.Objects;

/// What [IdlePolicy] decided, with the reason a person reads in the app.
///
/// @param action          RUN or PAUSE
/// @param cause           the rule that decided, for code (icons, history stop reasons)
/// @param reason          e.g. "Paused — a game is using the GPU (steam_app.exe)"
/// @param holdUntil       a pause that must last until then even if its cause clears (hysteresis); or null
/// @param pauseAfterRound RUN, but the owner asked to pause when this round ends
public record Decision(Action action, Cause cause, String reason, Instant holdUntil, boolean pauseAfterRound) {

    public enum Action { RUN, PAUSE }

    public enum Cause {
        // PAUSE causes
        MANUAL_PAUSE, SNOOZED, DATA_CAP, ON_BATTERY, OUTSIDE_SCHEDULE, GPU_BUSY, GPU_TEMPERATURE, GPU_POWER,
        FULLSCREEN, OWNER_ACTIVE, WAITING_FOR_IDLE,
        /// outside the owner's cheap-hours window ("only in cheap hours")
        OUTSIDE_CHEAP_HOURS,
        /// the grid's carbon intensity is at or above the owner's threshold ("only when the grid is green")
        GRID_NOT_GREEN,
        // RUN causes
        OWNER_AWAY, ALWAYS, NO_IDLE_PROBE,
        /// the first round after "Start contributing", run while the owner is at the keyboard
        STARTED_BY_OWNER
    }

    public Decision {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(reason, "reason");
    }

    public boolean running() {
        return action == Action.RUN;
    }

    /// Before the first decision: nothing to hold on to.
    public static final Decision NONE = new Decision(Action.PAUSE, Cause.WAITING_FOR_IDLE, "Starting", null, false);

    static Decision pause(Cause cause, String reason) {
        return new Decision(Action.PAUSE, cause, reason, null, false);
    }

    static Decision pause(Cause cause, String reason, Instant holdUntil) {
        return new Decision(Action.PAUSE, cause, reason, holdUntil, false);
    }

    static Decision run(Cause cause, String reason) {
        return new Decision(Action.RUN, cause, reason, null, false);
    }
}
