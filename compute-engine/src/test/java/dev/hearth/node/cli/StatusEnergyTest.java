package dev.hearth.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.node.api.EnergySettings;
import dev.hearth.node.api.EnergySource;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.RoundEnergy;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.history.HistoryStore;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.settings.SettingsStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 16 items 5 and 6: `./hearth status` and `status --json` say the CPU limit, and the energy used and its
/// cost, with units.
class StatusEnergyTest {

    private static String status(Path dir, boolean json) {
        var out = new ByteArrayOutputStream();
        assertEquals(0, StatusCommand.print(dir, json, new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void history(Path dir) {
        Clock clock = Clock.systemUTC();
        try (HistoryStore h = HistoryStore.open(dir, clock, new EventLog(clock))) {
            // 43.2 kJ = 0.012 kWh, estimated
            h.recordRound(new RoundRecord("nano", 1, Instant.now(), 2048, 3.0, 45_356, 1 << 20, true, "", 8192, 3.5,
                    new RoundEnergy(43_200, EnergySource.ESTIMATE)));
        }
    }

    @Test
    void statusStatesKwhTodayAndInAllWithTheCostAtTheOwnersTariff(@TempDir Path dir) throws Exception {
        history(dir);
        Clock clock = Clock.systemUTC();
        new SettingsStore(dir, new EventLog(clock), clock).save(NodeSettings.defaults()
                .toBuilder().energy(new EnergySettings(0.30, "EUR", null, null, false, "", 200, false)).build());

        String text = status(dir, false);
        assertTrue(text.contains("Energy:  0.012 kWh today (estimated), 0.012 kWh in all (estimated); "
                + "cost 0.0036 EUR today, 0.0036 EUR in all at 0.3 EUR/kWh"), text);

        JsonNode e = new ObjectMapper().readTree(status(dir, true)).path("energy");
        assertEquals(0.012, e.path("totalKwh").asDouble(), 1e-12);
        assertTrue(e.path("totalEstimated").asBoolean());
        assertEquals("EUR", e.path("currency").asText());
        assertEquals(0.0036, e.path("totalCost").asDouble(), 1e-12);
    }

    @Test
    void statusWithNoNodeRunningShowsTheSavedCpuLimit(@TempDir Path dir) throws Exception {
        history(dir);
        Clock clock = Clock.systemUTC();
        new SettingsStore(dir, new EventLog(clock), clock).save(NodeSettings.defaults().toBuilder()
                .cpuCores(1).cpuPercent(40).build());

        String text = status(dir, false);
        int cores = Runtime.getRuntime().availableProcessors();
        String expected = "CPU limit: 40 % of " + (cores == 1 ? "1 core" : "1 of " + cores + " cores");
        assertTrue(text.lines().anyMatch(expected::equals), text);
        JsonNode limit = new ObjectMapper().readTree(status(dir, true)).path("cpuLimit");
        assertEquals(1, limit.path("cores").asInt());
        assertEquals(40, limit.path("percent").asInt());
        assertEquals(1, limit.path("threads").asInt());
    }

    @Test
    void withoutATariffStatusSaysThereIsNoCost(@TempDir Path dir) throws Exception {
        history(dir);
        String text = status(dir, false);
        assertTrue(text.contains("0.012 kWh in all (estimated); no tariff set"), text);
        JsonNode e = new ObjectMapper().readTree(status(dir, true)).path("energy");
        assertFalse(e.has("currency"));
    }
}
