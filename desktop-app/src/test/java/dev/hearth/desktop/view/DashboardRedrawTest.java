package dev.hearth.desktop.view;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/// When the dashboard re-plots its hardware charts: once per new sample while contributing, every 5 s while paused.
class DashboardRedrawTest {
    private static final Instant T0 = Instant.parse("2026-12-01T23:00:00Z");

    @Test
    void theFirstSampleIsAlwaysPlotted() {
        assertTrue(DashboardView.redrawDue(null, T0, true));
        assertTrue(DashboardView.redrawDue(null, T0, false));
    }

    @Test
    void aSampleAlreadyPlottedIsNotPlottedAgain() {
        assertFalse(DashboardView.redrawDue(T0, T0, false), "four sampler ticks a second, one hardware sample");
        assertFalse(DashboardView.redrawDue(T0, T0, true));
    }

    @Test
    void whileContributingEachNewSampleIsPlotted() {
        assertTrue(DashboardView.redrawDue(T0, T0.plusSeconds(1), false));
    }

    @Test
    void whilePausedTheChartsMoveEveryFiveSeconds() {
        for (int s = 1; s < 5; s++) assertFalse(DashboardView.redrawDue(T0, T0.plusSeconds(s), true), s + " s");
        assertTrue(DashboardView.redrawDue(T0, T0.plus(DashboardView.PAUSED_REDRAW_PERIOD), true));
    }
}
