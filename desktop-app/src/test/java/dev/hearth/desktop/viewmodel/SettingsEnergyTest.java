package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.desktop.os.Autostart;
import java.nio.file.Path;
import java.time.LocalTime;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The energy settings as the owner types them: tariff, currency, cheap hours, the grid feed.
class SettingsEnergyTest {
    @TempDir Path dir;
    FakeNodeService node;
    SettingsViewModel vm;

    @BeforeEach
    void setUp() {
        node = new FakeNodeService(dir);
        vm = new SettingsViewModel(node, BackgroundTasks.sameThread(), new Autostart(dir.resolve("autostart"), List.of("/opt/hearth/bin/Hearth")));
    }

    @Test
    void aTariffWithADecimalCommaAndALowerCaseCurrencyIsSaved() {
        vm.setPricePerKwh("0,30");
        vm.setCurrency("chf");
        assertEquals(0.30, node.settings().energy().pricePerKwh(), 1e-12);
        assertEquals("CHF", node.settings().energy().currency());
        assertTrue(vm.errors().isEmpty(), vm.errors().toString());
    }

    @Test
    void badValuesAreRefusedByFieldAndNotSaved() {
        vm.setPricePerKwh("cheap");
        assertEquals("\"cheap\" is not a price (e.g. 0.30)", vm.errors().get("pricePerKwh"));
        vm.setCurrency("XYZ");
        assertEquals("XYZ is not an ISO 4217 currency code", vm.errors().get("currency"));
        vm.setCheapHours("23:00", "");
        assertEquals("enter times as HH:MM, e.g. 23:00 and 06:00", vm.errors().get("cheapHours"));
        assertEquals("EUR", node.settings().energy().currency());
        assertFalse(node.settings().energy().hasCheapHours());
    }

    @Test
    void cheapHoursThenTheRuleAndOtherEditsKeepThem() {
        vm.setCheapHours("23:00", "06:00");
        vm.setOnlyCheapHours(true);
        vm.setIdleMinutes("10"); // an unrelated edit must not drop the energy settings
        assertEquals(LocalTime.of(23, 0), node.settings().energy().cheapFrom());
        assertTrue(node.settings().energy().onlyCheapHours());
        assertNull(vm.errors().get("onlyCheapHours"));
    }

    @Test
    void theGreenRuleNeedsAFeedFirst() {
        vm.setOnlyWhenGreen(true);
        assertEquals("set the carbon-intensity feed's address first", vm.errors().get("onlyWhenGreen"));
        vm.setCarbonFeedUrl("https://grid.example/now.json");
        vm.setOnlyWhenGreen(true);
        assertTrue(node.settings().energy().onlyWhenGreen());
    }
}
