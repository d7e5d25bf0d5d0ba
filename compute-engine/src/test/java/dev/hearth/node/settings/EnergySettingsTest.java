package dev.hearth.node.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hearth.node.api.EnergySettings;
import dev.hearth.node.api.InvalidSettingException;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.log.EventLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The tariff, cheap hours and grid feed: saved, read back, validated by field, and absent in older files.
class EnergySettingsTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T18:30:05Z"), ZoneOffset.UTC);
    private static final EnergySettings SET = new EnergySettings(0.2875, "CHF", LocalTime.of(22, 0), LocalTime.of(6, 30),
            true, "https://grid.example/now.json", 150, true);

    @TempDir Path dir;

    @Test
    void energySettingsRoundTripThroughTheFile() throws Exception {
        SettingsStore store = new SettingsStore(dir, new EventLog(CLOCK), CLOCK);
        NodeSettings s = NodeSettings.defaults().toBuilder().energy(SET).build();
        store.save(s);
        assertEquals(s, store.load().settings());
        assertEquals(s, SettingsStore.peek(dir).orElseThrow());
    }

    @Test
    void aFileFromBeforeEnergySettingsReadsAsNoTariff() throws Exception {
        Files.writeString(dir.resolve(SettingsStore.FILE_NAME), "{\"format\": 1, \"policy\": \"ALWAYS\"}");
        EnergySettings e = new SettingsStore(dir, new EventLog(CLOCK), CLOCK).load().settings().energy();
        assertEquals(EnergySettings.defaults(), e);
        assertEquals(null, e.tariff());
    }

    private static String badField(EnergySettings e) {
        return assertThrows(InvalidSettingException.class, () -> NodeSettings.defaults().toBuilder().energy(e).build().validate()).field();
    }

    @Test
    void validationNamesTheBadField() {
        assertEquals("pricePerKwh", badField(new EnergySettings(-0.1, "EUR", null, null, false, "", 200, false)));
        assertEquals("pricePerKwh", badField(new EnergySettings(Double.NaN, "EUR", null, null, false, "", 200, false)));
        assertEquals("pricePerKwh", badField(new EnergySettings(1e9, "EUR", null, null, false, "", 200, false)));
        assertEquals("currency", badField(new EnergySettings(0.3, "eur", null, null, false, "", 200, false)));
        assertEquals("currency", badField(new EnergySettings(0.3, "XYZ", null, null, false, "", 200, false)));
        assertEquals("cheapHours", badField(new EnergySettings(0.3, "EUR", LocalTime.of(22, 0), null, false, "", 200, false)));
        assertEquals("cheapHours", badField(new EnergySettings(0.3, "EUR", LocalTime.NOON, LocalTime.NOON, false, "", 200, false)));
        assertEquals("onlyCheapHours", badField(new EnergySettings(0.3, "EUR", null, null, true, "", 200, false)));
        assertEquals("greenBelowGramsPerKwh", badField(new EnergySettings(0.3, "EUR", null, null, false, "", 0, false)));
        assertEquals("carbonFeedUrl", badField(new EnergySettings(0.3, "EUR", null, null, false, "file:///etc/passwd", 200, false)));
        assertEquals("onlyWhenGreen", badField(new EnergySettings(0.3, "EUR", null, null, false, "", 200, true)));
    }
}
