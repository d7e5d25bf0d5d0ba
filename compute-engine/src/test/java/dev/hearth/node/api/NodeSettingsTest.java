package dev.hearth.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hearth.node.api.NodeSettings.Policy;
import dev.hearth.node.api.NodeSettings.ScheduleWindow;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/// The one way to derive changed settings ({@link NodeSettings#toBuilder()}) and the CPU limit in words.
class NodeSettingsTest {

    /// Every field away from its default, so a copy that drops one shows.
    private static final NodeSettings OWNERS = new NodeSettings(Policy.SCHEDULE, 10,
            List.of(new ScheduleWindow(List.of(DayOfWeek.MONDAY), LocalTime.of(22, 0), LocalTime.of(7, 0))),
            true, 80, 250, 1 << 20, 2 << 20, 5L << 30, 1, true, "DEBUG", "hearth://example.org:7443#sha256=ab",
            256L << 20, 1, 50, new EnergySettings(0.30, "EUR", LocalTime.of(23, 0), LocalTime.of(6, 0), true,
                    "https://grid.example/now", 150, true));

    @Test
    void aCopyWithNoChangeEqualsTheOriginal() {
        assertEquals(OWNERS, OWNERS.toBuilder().build());
        assertEquals(OWNERS.energy(), OWNERS.energy().toBuilder().build());
    }

    @Test
    void changingOneFieldKeepsEveryOther() {
        NodeSettings changed = OWNERS.toBuilder().policy(Policy.ALWAYS).build();

        assertEquals(Policy.ALWAYS, changed.policy());
        assertEquals(OWNERS, changed.toBuilder().policy(Policy.SCHEDULE).build(), "only the policy differed");
        assertEquals(256L << 20, changed.dataCacheCapBytes());
        assertEquals(50, changed.cpuPercent());
        assertEquals(OWNERS.energy(), changed.energy());
    }

    @Test
    void changingOneEnergyFieldKeepsTheOthers() {
        NodeSettings changed = OWNERS.toBuilder().energy(e -> e.toBuilder().currency("USD").build()).build();

        assertEquals("USD", changed.energy().currency());
        assertNotEquals(OWNERS, changed);
        assertEquals(OWNERS, changed.toBuilder().energy(e -> e.toBuilder().currency("EUR").build()).build());
    }

    @Test
    void aBuiltCopyIsStillValidatedNamingTheBadSetting() {
        NodeSettings bad = OWNERS.toBuilder().cpuPercent(0).build();

        var e = assertThrows(InvalidSettingException.class, bad::validate);
        assertEquals("cpuPercent", e.field());
        var energy = assertThrows(InvalidSettingException.class,
                OWNERS.toBuilder().energy(x -> x.toBuilder().currency("euro").build()).build()::validate);
        assertEquals("currency", energy.field());
    }

    @Test
    void theCpuLimitInWordsSaysThePercentageAndTheCores() {
        NodeSettings d = NodeSettings.defaults();
        assertEquals("none (all 2 cores, all of their time)", d.cpuLimitText(2));
        assertEquals("50 % of 2 cores", d.toBuilder().cpuPercent(50).build().cpuLimitText(2));
        assertEquals("50 % of 1 of 2 cores", d.toBuilder().cpuCores(1).cpuPercent(50).build().cpuLimitText(2));
        assertEquals("100 % of 1 core", d.toBuilder().cpuCores(1).build().cpuLimitText(1));
        assertEquals("75 % of 2 cores (8 cores set; this computer has 2)",
                d.toBuilder().cpuCores(8).cpuPercent(75).build().cpuLimitText(2));
    }
}
