package dev.hearth.node.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.EnergySettings;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSettings.Policy;
import dev.hearth.node.policy.Decision.Action;
import dev.hearth.node.policy.Decision.Cause;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

/// The "only in cheap hours" and "only when the grid is green" schedule rules, with a hand clock.
class EnergyRulesTest {

    private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");
    private static final Readings AWAY = Readings.idleFor(Duration.ofMinutes(30), ZONE);

    private static Instant at(int hour, int minute) {
        return ZonedDateTime.of(2026, 12, 1, hour, minute, 0, 0, ZONE).toInstant();
    }

    private static NodeSettings energy(EnergySettings e) {
        return NodeSettings.defaults().toBuilder().policy(Policy.ALWAYS).energy(e).build();
    }

    private static NodeSettings cheapNights() {
        return energy(new EnergySettings(0.30, "EUR", LocalTime.of(23, 0), LocalTime.of(6, 0), true, "", 200, false));
    }

    private static NodeSettings greenOnly() {
        return energy(new EnergySettings(0.30, "EUR", null, null, false, "https://grid.example/now", 200, true));
    }

    @Test
    void cheapHoursPauseOutsideTheWindowAndSayWhenItOpens() {
        Decision d = IdlePolicy.decide(AWAY, cheapNights(), OwnerState.AUTO, at(15, 0));
        assertEquals(Action.PAUSE, d.action());
        assertEquals(Cause.OUTSIDE_CHEAP_HOURS, d.cause());
        assertEquals("Paused — waiting for your cheap hours (23:00–06:00)", d.reason());
    }

    @Test
    void cheapHoursRunInsideAWindowThatWrapsPastMidnight() {
        assertEquals(Action.RUN, IdlePolicy.decide(AWAY, cheapNights(), OwnerState.AUTO, at(23, 0)).action());
        assertEquals(Action.RUN, IdlePolicy.decide(AWAY, cheapNights(), OwnerState.AUTO, at(2, 30)).action());
        assertEquals(Action.PAUSE, IdlePolicy.decide(AWAY, cheapNights(), OwnerState.AUTO, at(6, 0)).action());
    }

    @Test
    void cheapHoursWithoutTheRuleDoNotPause() {
        NodeSettings s = energy(new EnergySettings(0.30, "EUR", LocalTime.of(23, 0), LocalTime.of(6, 0), false, "", 200, false));
        assertEquals(Action.RUN, IdlePolicy.decide(AWAY, s, OwnerState.AUTO, at(15, 0)).action());
    }

    @Test
    void greenRulePausesWhileTheGridIsAtOrAboveTheThreshold() {
        Readings r = AWAY.withGrid(Reading.of(new CarbonIntensity(310, at(16, 0))));
        Decision d = IdlePolicy.decide(r, greenOnly(), OwnerState.AUTO, at(15, 0));
        assertEquals(Cause.GRID_NOT_GREEN, d.cause());
        assertEquals("Paused — the grid is at 310 g CO₂/kWh; you train below 200 g CO₂/kWh", d.reason());
        Readings atThreshold = AWAY.withGrid(Reading.of(new CarbonIntensity(200, at(16, 0))));
        assertEquals(Action.PAUSE, IdlePolicy.decide(atThreshold, greenOnly(), OwnerState.AUTO, at(15, 0)).action());
    }

    @Test
    void greenRuleRunsBelowTheThresholdAndSaysSo() {
        Readings r = AWAY.withGrid(Reading.of(new CarbonIntensity(120, at(16, 0))));
        Decision d = IdlePolicy.decide(r, greenOnly(), OwnerState.AUTO, at(15, 0));
        assertEquals(Action.RUN, d.action());
        assertTrue(d.reason().endsWith("; the grid is green (120 g CO₂/kWh)"), d.reason());
    }

    @Test
    void aFailedFeedDoesNotBlockTrainingAndTheReasonSaysWhy() {
        Readings r = AWAY.withGrid(Reading.unavailable("the feed did not answer: HttpConnectTimeoutException"));
        Decision d = IdlePolicy.decide(r, greenOnly(), OwnerState.AUTO, at(15, 0));
        assertEquals(Action.RUN, d.action());
        assertTrue(d.reason().endsWith("; the grid feed gives no figure (the feed did not answer: "
                + "HttpConnectTimeoutException), so Hearth trains anyway"), d.reason());
    }

    @Test
    void anExpiredFigureCountsAsNoFigure() {
        Readings r = AWAY.withGrid(Reading.of(new CarbonIntensity(900, at(14, 0)))); // valid until 14:00, now 15:00
        Decision d = IdlePolicy.decide(r, greenOnly(), OwnerState.AUTO, at(15, 0));
        assertEquals(Action.RUN, d.action());
        assertTrue(d.reason().contains("its figure expired at"), d.reason());
    }

    @Test
    void theOwnersHeldRoundIsNotStoppedByTheCheapHoursRule() {
        Decision d = IdlePolicy.decide(AWAY, cheapNights(), OwnerState.finishingRound(), at(15, 0));
        assertEquals(Action.RUN, d.action());
    }

    @Test
    void safetyRulesStillWinInsideCheapHours() {
        Decision d = IdlePolicy.decide(AWAY.withOnBattery(true), cheapNights(), OwnerState.AUTO, at(23, 30));
        assertEquals(Cause.ON_BATTERY, d.cause());
    }
}
