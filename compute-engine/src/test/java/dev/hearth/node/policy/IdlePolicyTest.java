package dev.hearth.node.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import dev.hearth.node.api.NodeSettings.ScheduleWindow;
import dev.hearth.node.policy.Decision.Action;
import dev.hearth.node.policy.Decision.Cause;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdlePolicyTest {

    private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");
    /// Wednesday 25 Nov 2026, 15:00 in Berlin.
    private static final Instant NOW = ZonedDateTime.of(2026, 11, 25, 15, 0, 0, 0, ZONE).toInstant();
    private static final NodeSettings WHEN_IDLE = NodeSettings.defaults(); // 3 idle minutes, cap 83 °C

    private static NodeSettings with(Policy policy, List<ScheduleWindow> schedule) {
        return NodeSettings.defaults().toBuilder().policy(policy).schedule(schedule).build();
    }

    private static NodeSettings powerCap(int watts) {
        return NodeSettings.defaults().toBuilder().gpuPowerCapWatts(watts).build();
    }

    private static Readings idle(long seconds) {
        return Readings.idleFor(Duration.ofSeconds(seconds), ZONE);
    }

    private static Decision decide(Readings r, NodeSettings s) {
        return IdlePolicy.decide(r, s, OwnerState.AUTO, NOW);
    }

    @Test
    void runsAfterTheIdleMinutes() {
        Decision d = decide(idle(200), WHEN_IDLE);
        assertEquals(Action.RUN, d.action());
        assertEquals("Running — you have been away 3 min", d.reason());
    }

    @Test
    void waitsWhileIdleIsShorterThanTheSetting() {
        Decision d = decide(idle(75), WHEN_IDLE);
        assertEquals(Action.PAUSE, d.action());
        assertEquals("Waiting — idle for 1 min of 3", d.reason());
    }

    @Test
    void pausesAtOnceOnInput() {
        PolicyTracker tracker = new PolicyTracker();
        assertTrue(tracker.update(idle(600), WHEN_IDLE, OwnerState.AUTO, NOW).running());
        Decision d = tracker.update(idle(0), WHEN_IDLE, OwnerState.AUTO, NOW.plusSeconds(1));
        assertEquals(Cause.OWNER_ACTIVE, d.cause());
        assertEquals("Paused — you are using the computer", d.reason());
    }

    @Test
    void pausesAtOnceForAGameOnTheGpuAndNamesIt() {
        Decision d = decide(idle(600).withForeignGpuProcesses("steam_app.exe"), WHEN_IDLE);
        assertEquals(Action.PAUSE, d.action());
        assertEquals("Paused — a game is using the GPU (steam_app.exe)", d.reason());
    }

    @Test
    void aGameOnTheGpuPausesEvenWithPolicyAlways() {
        assertEquals(Cause.GPU_BUSY, decide(idle(0).withForeignGpuProcesses("game"), with(Policy.ALWAYS, List.of())).cause());
    }

    @Test
    void staysPausedBrieflyAfterTheGameLeavesTheGpu() {
        PolicyTracker t = new PolicyTracker();
        t.update(idle(600).withForeignGpuProcesses("vlc"), WHEN_IDLE, OwnerState.AUTO, NOW);
        Decision settling = t.update(idle(610), WHEN_IDLE, OwnerState.AUTO, NOW.plusSeconds(10));
        assertEquals(Action.PAUSE, settling.action());
        assertEquals(Cause.GPU_BUSY, settling.cause());
        assertTrue(settling.reason().contains("15:00:30"), settling.reason());
        assertTrue(t.update(idle(631), WHEN_IDLE, OwnerState.AUTO, NOW.plus(IdlePolicy.GPU_SETTLE).plusSeconds(1)).running());
    }

    @Test
    void fullscreenAppPausesWhenIdleButNotWithPolicyAlways() {
        Readings film = idle(3600).withFullscreenApp("vlc");
        assertEquals("Paused — a full-screen app is open (vlc)", decide(film, WHEN_IDLE).reason());
        assertTrue(decide(film, with(Policy.ALWAYS, List.of())).running());
    }

    @Test
    void pausesOnBatteryUnlessAllowed() {
        assertEquals("Paused — on battery", decide(idle(600).withOnBattery(true), WHEN_IDLE).reason());
        NodeSettings allowed = NodeSettings.defaults().toBuilder().runOnBattery(true).build();
        assertTrue(decide(idle(600).withOnBattery(true), allowed).running());
    }

    @Test
    void pausesAboveTheTemperatureCapAndResumesOnlyWellBelowIt() {
        PolicyTracker t = new PolicyTracker();
        Decision hot = t.update(idle(600).withGpuTemperature(86), WHEN_IDLE, OwnerState.AUTO, NOW);
        assertEquals("Paused — GPU at 86 °C (cap 83 °C)", hot.reason());
        Decision cooling = t.update(idle(610).withGpuTemperature(80), WHEN_IDLE, OwnerState.AUTO, NOW.plusSeconds(10));
        assertEquals(Action.PAUSE, cooling.action());
        assertEquals("Paused — GPU cooling down: 80 °C, resuming at 78 °C", cooling.reason());
        assertTrue(t.update(idle(620).withGpuTemperature(78), WHEN_IDLE, OwnerState.AUTO, NOW.plusSeconds(20)).running());
    }

    @Test
    void unknownTemperatureDoesNotPause() {
        assertTrue(decide(idle(600).withGpuTemperature(Double.NaN), WHEN_IDLE).running());
    }

    @Test
    void pausesAboveThePowerCapForACooldown() {
        NodeSettings capped = powerCap(250);
        PolicyTracker t = new PolicyTracker();
        Decision over = t.update(idle(600).withGpuPower(310), capped, OwnerState.AUTO, NOW);
        assertEquals("Paused — GPU drawing 310 W (cap 250 W)", over.reason());
        Decision held = t.update(idle(660).withGpuPower(40), capped, OwnerState.AUTO, NOW.plusSeconds(60));
        assertEquals(Cause.GPU_POWER, held.cause());
        assertEquals("Paused — GPU drew more than 250 W; trying again at 15:02", held.reason());
        assertTrue(t.update(idle(721).withGpuPower(40), capped, OwnerState.AUTO, NOW.plus(IdlePolicy.POWER_COOLDOWN)).running());
        assertTrue(decide(idle(600).withGpuPower(310), WHEN_IDLE).running(), "no cap, no pause");
    }

    @Test
    void snoozeShowsItsEndInLocalTime() {
        Decision d = IdlePolicy.decide(idle(600), WHEN_IDLE, OwnerState.snoozed(NOW.plus(Duration.ofMinutes(40))), NOW);
        assertEquals("Snoozed until 15:40", d.reason());
        Decision tomorrow = IdlePolicy.decide(idle(600), WHEN_IDLE, OwnerState.snoozed(NOW.plus(Duration.ofHours(20))), NOW);
        assertEquals("Snoozed until Thu 11:00", tomorrow.reason());
        assertTrue(IdlePolicy.decide(idle(600), WHEN_IDLE, OwnerState.snoozed(NOW.minusSeconds(1)), NOW).running(), "snooze over");
    }

    @Test
    void manualPauseWinsOverEverything() {
        Decision d = IdlePolicy.decide(idle(600), with(Policy.ALWAYS, List.of()), OwnerState.pausedByOwner(), NOW);
        assertEquals("Paused — you paused Hearth", d.reason());
    }

    @Test
    void finishRoundThenPauseKeepsRunningMarked() {
        Decision d = IdlePolicy.decide(idle(600), WHEN_IDLE, OwnerState.finishingRound(), NOW);
        assertTrue(d.running());
        assertTrue(d.pauseAfterRound());
        assertEquals("Finishing this round, then pausing", d.reason());
    }

    @Test
    void finishRoundThenPauseFinishesTheRoundInEveryMode() {
        // The owner moves the mouse to click "Finish": the round must still finish (issue 16, item 1).
        var night = List.of(new ScheduleWindow(List.of(java.time.DayOfWeek.values()), java.time.LocalTime.of(22, 0),
                java.time.LocalTime.of(7, 0)));
        for (NodeSettings s : List.of(WHEN_IDLE, with(Policy.ALWAYS, List.of()), with(Policy.SCHEDULE, night))) {
            Decision d = IdlePolicy.decide(idle(0), s, OwnerState.finishingRound(), NOW);
            assertTrue(d.running(), s.policy() + ": " + d.reason());
            assertTrue(d.pauseAfterRound(), s.policy().name());
        }
        Decision fullscreen = IdlePolicy.decide(idle(0).withFullscreenApp("mpv"), WHEN_IDLE, OwnerState.finishingRound(), NOW);
        assertTrue(fullscreen.running(), fullscreen.reason());
    }

    @Test
    void finishingARoundStillStepsAsideForSafety() {
        Decision game = IdlePolicy.decide(idle(0).withForeignGpuProcesses("game.exe"), WHEN_IDLE, OwnerState.finishingRound(), NOW);
        Decision hot = IdlePolicy.decide(idle(0).withGpuTemperature(95), WHEN_IDLE, OwnerState.finishingRound(), NOW);
        assertFalse(game.running());
        assertFalse(hot.running());
    }

    @Test
    void theFirstRoundAfterStartRunsWhileTheOwnerIsAtTheKeyboardAndSaysWhenItStepsAside() {
        Decision d = IdlePolicy.decide(idle(0), WHEN_IDLE, OwnerState.justStarted(), NOW);

        assertTrue(d.running());
        assertEquals(Cause.STARTED_BY_OWNER, d.cause());
        assertFalse(d.pauseAfterRound());
        assertTrue(d.reason().contains("pauses when you use the computer"), d.reason());
        assertTrue(d.reason().contains("you can change this"), d.reason());
        assertFalse(IdlePolicy.decide(idle(0), WHEN_IDLE, OwnerState.AUTO, NOW).running(), "after that round, input pauses again");
    }

    @Test
    void policyAlwaysIgnoresInput() {
        Decision d = decide(idle(0), with(Policy.ALWAYS, List.of()));
        assertTrue(d.running());
        assertEquals(Cause.ALWAYS, d.cause());
    }

    @Test
    void withoutAnIdleProbeSaysSoAndFollowsTheToggle() {
        Readings unknown = Readings.idleUnknown("no X display", ZONE);
        Decision run = decide(unknown, WHEN_IDLE);
        assertTrue(run.running());
        assertEquals(Cause.NO_IDLE_PROBE, run.cause());
        assertTrue(run.reason().contains("cannot tell when you use the computer (no X display)"), run.reason());
        assertFalse(IdlePolicy.decide(unknown, WHEN_IDLE, OwnerState.pausedByOwner(), NOW).running());
    }

    @Test
    void scheduleRunsInsideAWindowWhenIdle() {
        var s = with(Policy.SCHEDULE, List.of(new ScheduleWindow(List.of(DayOfWeek.WEDNESDAY), LocalTime.of(14, 0), LocalTime.of(16, 0))));
        Decision d = decide(idle(600), s);
        assertTrue(d.running());
        assertEquals("Running — inside your schedule, you have been away 10 min", d.reason());
        assertEquals(Cause.OWNER_ACTIVE, decide(idle(5), s).cause(), "inside the window, input still pauses");
    }

    @Test
    void scheduleOutsideNamesTheNextWindow() {
        var s = with(Policy.SCHEDULE, List.of(new ScheduleWindow(List.of(DayOfWeek.MONDAY), LocalTime.of(22, 0), LocalTime.of(7, 0))));
        assertEquals("Paused — outside your schedule (next window Mon 22:00)", decide(idle(600), s).reason());
    }

    @Test
    void scheduleWindowsWrapPastMidnight() {
        var nights = List.of(new ScheduleWindow(List.of(DayOfWeek.TUESDAY), LocalTime.of(22, 0), LocalTime.of(7, 0)));
        assertTrue(IdlePolicy.insideSchedule(nights, ZonedDateTime.of(2026, 11, 24, 23, 0, 0, 0, ZONE)), "Tue 23:00");
        assertTrue(IdlePolicy.insideSchedule(nights, ZonedDateTime.of(2026, 11, 25, 6, 59, 0, 0, ZONE)), "Wed 06:59");
        assertFalse(IdlePolicy.insideSchedule(nights, ZonedDateTime.of(2026, 11, 25, 7, 0, 0, 0, ZONE)), "Wed 07:00");
        assertFalse(IdlePolicy.insideSchedule(nights, ZonedDateTime.of(2026, 11, 24, 6, 0, 0, 0, ZONE)), "Tue 06:00 belongs to Monday's night");
        var untilMidnight = List.of(new ScheduleWindow(List.of(DayOfWeek.WEDNESDAY), LocalTime.of(20, 0), LocalTime.MIDNIGHT));
        assertTrue(IdlePolicy.insideSchedule(untilMidnight, ZonedDateTime.of(2026, 11, 25, 23, 59, 0, 0, ZONE)));
        assertFalse(IdlePolicy.insideSchedule(untilMidnight, ZonedDateTime.of(2026, 11, 26, 0, 0, 0, 0, ZONE)));
    }

    @Test
    void emptyScheduleNeverRuns() {
        assertEquals("Paused — your schedule has no windows", decide(idle(600), with(Policy.SCHEDULE, List.of())).reason());
    }

    @Test
    void nextWindowLaterTodayIsFound() {
        var evening = List.of(new ScheduleWindow(List.of(DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY), LocalTime.of(22, 0), LocalTime.of(23, 0)));
        assertEquals(ZonedDateTime.of(2026, 11, 25, 22, 0, 0, 0, ZONE),
                IdlePolicy.nextWindowStart(evening, NOW.atZone(ZONE)).orElseThrow());
    }

    @Test
    void batteryOutranksScheduleAndIdle() {
        var s = with(Policy.SCHEDULE, List.of());
        assertEquals(Cause.ON_BATTERY, decide(idle(0).withOnBattery(true), s).cause());
    }
}
