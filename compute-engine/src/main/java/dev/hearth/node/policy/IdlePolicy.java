package dev.hearth.node.policy;

import dev.hearth.node.api.EnergySettings;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import dev.hearth.node.api.NodeSettings.ScheduleWindow;
import dev.hearth.node.policy.Decision.Action;
import dev.hearth.node.policy.Decision.Cause;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/// When the node may use the machine: a pure function of probe readings, settings, the owner's
/// buttons, the time and the previous decision (for hysteresis). No clock, no I/O: the caller samples
/// the probes about once a second and calls [#decide]; tests script the readings.
///
/// Rules, first match wins (so the reason shown is the most specific one):
///
/// 1. the owner's pause toggle, then a snooze;
/// 2. on battery (unless allowed), outside the schedule (policy SCHEDULE), outside the cheap hours
///    ("only in cheap hours"), the grid not green ("only when the grid is green": the feed's figure,
///    while valid, at or above the owner's threshold);
/// 3. another process on the GPU — pause at once, and stay paused [#GPU_SETTLE] after it left
///    (a game's launcher often restarts it, and a freed GPU needs a moment);
/// 4. GPU above the temperature cap — stay paused until [#TEMPERATURE_HYSTERESIS_C] below it;
/// 5. GPU above the power cap — stay paused for [#POWER_COOLDOWN] (once paused, our own draw is gone,
///    so only time can tell whether it was us);
/// 6. WHEN_IDLE and SCHEDULE only: a full-screen app (a film gives no input), then owner input — run
///    only after `idleMinutes` without input, pause at once on input (input resets the idle time below
///    the threshold, so the threshold itself is the hysteresis). When no idle probe works, say so and
///    follow the owner's toggle (run unless paused);
/// 7. otherwise run; with "finish this round, then pause" the run is marked `pauseAfterRound`.
///
/// **A feed that fails does not stop training.** "Only when the grid is green" pauses only on a
/// figure the feed vouches for now (before its `valid_until`). When the feed does not answer, answers
/// garbage or its figure has expired, the node runs and the reason says so in words ("the grid feed
/// gives no figure (…); training anyway"): the feed is a third party's, optional service, and a
/// broken one would otherwise stop a volunteer for good without them noticing. An owner who wants
/// the opposite turns the rule off or pauses.
///
/// While the owner holds a round ([OwnerState#holdsRound]: "finish this round, then pause", or the
/// first round after "Start contributing"), rules 2's schedule and 6 do not apply: the owner asked for
/// this round while at the keyboard, and pausing on their next mouse move would throw the round away
/// (the coordinator would see no upload). Safety rules still stop it.
public final class IdlePolicy {

    /// 5 °C: a GPU that hit the cap cools ~5 °C within a minute or two of going idle; resuming
    /// right at the cap would flap on and off every few seconds.
    public static final int TEMPERATURE_HYSTERESIS_C = 5;
    /// 2 minutes: after a power-cap pause, wait this long before trying again.
    public static final Duration POWER_COOLDOWN = Duration.ofMinutes(2);
    /// 30 s: after another GPU process leaves, wait this long (game launchers restart, drivers settle).
    public static final Duration GPU_SETTLE = Duration.ofSeconds(30);
    /// 60 s: input within this is "you are using the computer"; longer idle is "waiting".
    public static final Duration OWNER_ACTIVE = Duration.ofSeconds(60);

    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm", Locale.ENGLISH);
    private static final DateTimeFormatter HMS = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ENGLISH);
    private static final DateTimeFormatter DAY_HM = DateTimeFormatter.ofPattern("EEE HH:mm", Locale.ENGLISH);

    private IdlePolicy() {}

    /// The decision without memory of the previous one (no hysteresis holds).
    public static Decision decide(Readings r, NodeSettings s, OwnerState o, Instant now) {
        return decide(r, s, o, now, Decision.NONE);
    }

    /// @param previous the decision returned last time ([Decision#NONE] at first)
    public static Decision decide(Readings r, NodeSettings s, OwnerState o, Instant now, Decision previous) {
        Decision d = pauseOrNull(r, s, o, now, previous);
        if (d != null) return d;
        Decision run = withGrid(runDecision(r, s, now), r, s, now);
        if (run.action() == Action.RUN && o.finishRoundThenPause()) {
            return new Decision(Action.RUN, run.cause(), "Finishing this round, then pausing", null, true);
        }
        if (run.action() == Action.RUN && o.startedNow() && s.policy() != Policy.ALWAYS) {
            return new Decision(Action.RUN, Cause.STARTED_BY_OWNER, "Running — training a first round now; after it, Hearth "
                    + stepsAside(s) + " (you can change this in Settings)", null, false);
        }
        return run;
    }

    private static Decision pauseOrNull(Readings r, NodeSettings s, OwnerState o, Instant now, Decision previous) {
        ZoneId zone = r.zone();
        if (o.paused()) return Decision.pause(Cause.MANUAL_PAUSE, "Paused — you paused Hearth");
        if (o.snoozedUntil() != null && now.isBefore(o.snoozedUntil())) {
            return Decision.pause(Cause.SNOOZED, "Snoozed until " + when(o.snoozedUntil(), now, zone));
        }
        if (!s.runOnBattery() && r.onBattery().orElse(false)) {
            return Decision.pause(Cause.ON_BATTERY, "Paused — on battery");
        }
        if (s.policy() == Policy.SCHEDULE && !o.holdsRound()) {
            ZonedDateTime local = now.atZone(zone);
            if (!insideSchedule(s.schedule(), local)) {
                Optional<ZonedDateTime> next = nextWindowStart(s.schedule(), local);
                return Decision.pause(Cause.OUTSIDE_SCHEDULE, next
                        .map(t -> "Paused — outside your schedule (next window " + DAY_HM.format(t) + ")")
                        .orElse("Paused — your schedule has no windows"));
            }
        }
        EnergySettings e = s.energy();
        if (e.onlyCheapHours() && e.hasCheapHours() && !o.holdsRound()
                && !insideDaily(e.cheapFrom(), e.cheapUntil(), now.atZone(zone).toLocalTime())) {
            return Decision.pause(Cause.OUTSIDE_CHEAP_HOURS, "Paused — waiting for your cheap hours ("
                    + HM.format(e.cheapFrom()) + "–" + HM.format(e.cheapUntil()) + ")");
        }
        if (e.onlyWhenGreen() && !o.holdsRound() && validGrid(r, now) instanceof CarbonIntensity c
                && c.gramsPerKwh() >= e.greenBelowGramsPerKwh()) {
            return Decision.pause(Cause.GRID_NOT_GREEN, "Paused — the grid is at " + Math.round(c.gramsPerKwh())
                    + " g CO₂/kWh; you train below " + e.greenBelowGramsPerKwh() + " g CO₂/kWh");
        }
        boolean held = previous.action() == Action.PAUSE && previous.holdUntil() != null && now.isBefore(previous.holdUntil());

        List<String> foreign = r.foreignGpuProcesses().orElse(List.of());
        if (!foreign.isEmpty()) {
            return Decision.pause(Cause.GPU_BUSY, "Paused — " + (foreign.size() == 1 ? "a game is" : "other programs are")
                    + " using the GPU (" + String.join(", ", foreign) + ")", now.plus(GPU_SETTLE));
        }
        if (held && previous.cause() == Cause.GPU_BUSY) {
            return Decision.pause(Cause.GPU_BUSY, "Paused — waiting for the GPU to settle after another program (until "
                    + HMS.format(previous.holdUntil().atZone(zone)) + ")", previous.holdUntil());
        }

        double temp = r.gpuTemperatureC();
        int cap = s.gpuTemperatureCapC();
        if (temp > cap) {
            return Decision.pause(Cause.GPU_TEMPERATURE, "Paused — GPU at " + Math.round(temp) + " °C (cap " + cap + " °C)");
        }
        if (previous.cause() == Cause.GPU_TEMPERATURE && previous.action() == Action.PAUSE
                && temp > cap - TEMPERATURE_HYSTERESIS_C) {
            return Decision.pause(Cause.GPU_TEMPERATURE, "Paused — GPU cooling down: " + Math.round(temp)
                    + " °C, resuming at " + (cap - TEMPERATURE_HYSTERESIS_C) + " °C");
        }

        int powerCap = s.gpuPowerCapWatts();
        if (powerCap > 0 && r.gpuPowerWatts() > powerCap) {
            return Decision.pause(Cause.GPU_POWER, "Paused — GPU drawing " + Math.round(r.gpuPowerWatts())
                    + " W (cap " + powerCap + " W)", now.plus(POWER_COOLDOWN));
        }
        if (held && previous.cause() == Cause.GPU_POWER) {
            return Decision.pause(Cause.GPU_POWER, "Paused — GPU drew more than " + powerCap + " W; trying again at "
                    + HM.format(previous.holdUntil().atZone(zone)), previous.holdUntil());
        }

        if (s.policy() == Policy.ALWAYS || o.holdsRound()) return null;

        Optional<String> fullscreen = r.fullscreenApp().orElse(Optional.empty());
        if (fullscreen.isPresent()) {
            return Decision.pause(Cause.FULLSCREEN, "Paused — a full-screen app is open (" + fullscreen.get() + ")");
        }
        if (r.ownerIdle() instanceof Reading.Available<Duration>(Duration idle)) {
            Duration needed = Duration.ofMinutes(s.idleMinutes());
            if (idle.compareTo(needed) < 0) {
                if (idle.compareTo(OWNER_ACTIVE) < 0) return Decision.pause(Cause.OWNER_ACTIVE, "Paused — you are using the computer");
                return Decision.pause(Cause.WAITING_FOR_IDLE, "Waiting — idle for " + idle.toMinutes() + " min of " + s.idleMinutes());
            }
        }
        return null;
    }

    private static Decision runDecision(Readings r, NodeSettings s, Instant now) {
        if (s.policy() == Policy.ALWAYS) return Decision.run(Cause.ALWAYS, "Running — set to contribute always");
        return switch (r.ownerIdle()) {
            case Reading.Unavailable<Duration>(String why) -> Decision.run(Cause.NO_IDLE_PROBE,
                    "Running — Hearth cannot tell when you use the computer (" + why + "); pause it when you need the GPU");
            case Reading.Available<Duration>(Duration idle) -> Decision.run(Cause.OWNER_AWAY,
                    (s.policy() == Policy.SCHEDULE ? "Running — inside your schedule, you have been away " : "Running — you have been away ")
                            + idle.toMinutes() + " min");
        };
    }

    /// The run decision with what the green-grid rule saw, when the owner set it.
    private static Decision withGrid(Decision run, Readings r, NodeSettings s, Instant now) {
        if (!s.energy().onlyWhenGreen() || run.action() != Action.RUN) return run;
        CarbonIntensity c = validGrid(r, now);
        String note = c != null ? "; the grid is green (" + Math.round(c.gramsPerKwh()) + " g CO₂/kWh)"
                : "; the grid feed gives no figure (" + gridWhy(r) + "), so Hearth trains anyway";
        return new Decision(run.action(), run.cause(), run.reason() + note, run.holdUntil(), run.pauseAfterRound());
    }

    /// The feed's figure when it is still valid at `now`, else null.
    private static CarbonIntensity validGrid(Readings r, Instant now) {
        return r.grid() instanceof Reading.Available<CarbonIntensity>(CarbonIntensity c) && now.isBefore(c.validUntil()) ? c : null;
    }

    private static String gridWhy(Readings r) {
        return switch (r.grid()) {
            case Reading.Unavailable<CarbonIntensity>(String why) -> why;
            case Reading.Available<CarbonIntensity>(CarbonIntensity c) -> "its figure expired at " + c.validUntil();
        };
    }

    /// Whether `t` is inside the daily window [from, until) (until ≤ from wraps past midnight).
    public static boolean insideDaily(LocalTime from, LocalTime until, LocalTime t) {
        return until.isAfter(from) ? !t.isBefore(from) && t.isBefore(until) : !t.isBefore(from) || t.isBefore(until);
    }

    /// When the node steps aside under these settings, in words ("pauses when you use the computer ...").
    public static String stepsAside(NodeSettings s) {
        return switch (s.policy()) {
            case ALWAYS -> "trains whenever it runs, also while you use the computer";
            case WHEN_IDLE -> "pauses when you use the computer and trains after " + s.idleMinutes() + " min away";
            case SCHEDULE -> "trains only inside your schedule, and pauses when you use the computer";
        };
    }

    private static String when(Instant t, Instant now, ZoneId zone) {
        ZonedDateTime at = t.atZone(zone);
        return at.toLocalDate().equals(now.atZone(zone).toLocalDate()) ? HM.format(at) : DAY_HM.format(at);
    }

    // ---- schedule windows: `days` are the days a window starts; end ≤ start wraps past midnight.

    /// Whether `t` falls inside any window.
    public static boolean insideSchedule(List<ScheduleWindow> schedule, ZonedDateTime t) {
        LocalTime time = t.toLocalTime();
        DayOfWeek today = t.getDayOfWeek();
        DayOfWeek yesterday = today.minus(1);
        for (ScheduleWindow w : schedule) {
            boolean wraps = !w.end().isAfter(w.start());
            if (!wraps) {
                if (w.days().contains(today) && !time.isBefore(w.start()) && time.isBefore(w.end())) return true;
            } else {
                if (w.days().contains(today) && !time.isBefore(w.start())) return true;
                if (w.days().contains(yesterday) && time.isBefore(w.end())) return true;
            }
        }
        return false;
    }

    /// The next time a window opens after `t`, within a week; empty when the schedule has no windows.
    public static Optional<ZonedDateTime> nextWindowStart(List<ScheduleWindow> schedule, ZonedDateTime t) {
        ZonedDateTime best = null;
        LocalDate today = t.toLocalDate();
        for (int k = 0; k <= 7; k++) {
            LocalDate date = today.plusDays(k);
            for (ScheduleWindow w : schedule) {
                if (!w.days().contains(date.getDayOfWeek())) continue;
                ZonedDateTime start = date.atTime(w.start()).atZone(t.getZone());
                if (start.isAfter(t) && (best == null || start.isBefore(best))) best = start;
            }
            if (best != null) break;
        }
        return Optional.ofNullable(best);
    }
}
