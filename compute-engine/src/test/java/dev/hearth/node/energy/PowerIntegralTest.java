package dev.hearth.node.energy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class PowerIntegralTest {

    private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void integratesConstantPowerAsWattsTimesSeconds() {
        PowerIntegral p = new PowerIntegral();
        for (int s = 0; s <= 60; s++) p.add(T0.plusSeconds(s), 200);
        assertEquals(12_000, p.joules(), 1e-9); // 200 W × 60 s
        assertTrue(p.measured());
    }

    @Test
    void usesTheTrapezoidBetweenSamples() {
        PowerIntegral p = new PowerIntegral();
        p.add(T0, 100);
        p.add(T0.plusSeconds(10), 300); // ramp: mean 200 W over 10 s
        p.add(T0.plusSeconds(12), 300);
        assertEquals(2_000 + 600, p.joules(), 1e-9);
    }

    @Test
    void skipsUnknownPowerAndSamplesThatDoNotMoveTimeForward() {
        PowerIntegral p = new PowerIntegral();
        p.add(T0, 100);
        p.add(T0.plusSeconds(1), Double.NaN);
        p.add(T0, 500);
        p.add(T0.plusSeconds(4), 100);
        assertEquals(400, p.joules(), 1e-9);
    }

    @Test
    void oneSampleMeasuresNothing() {
        PowerIntegral p = new PowerIntegral();
        p.add(T0, 250);
        assertFalse(p.measured());
        assertEquals(0, p.joules());
    }
}
