package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.node.api.EnergySettings;
import dev.hearth.node.api.NodeSettings;
import java.nio.file.Path;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 16 item 6 in the history view: kWh and cost per round and for today, with units and "estimated".
class ContributionEnergyTest {
    @TempDir Path dir;

    @Test
    void showsEnergyAndCostPerRoundAndPerDayWithUnits() throws Exception {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        node.updateSettings(NodeSettings.defaults().toBuilder()
                .energy(new EnergySettings(0.30, "EUR", null, null, false, "", 200, false)).build());
        var vm = new ContributionViewModel(node, BackgroundTasks.sameThread(), ZoneOffset.UTC);
        node.finishRound(100_000, 1.5, null); // the fake's round: 42 s of trainer CPU, estimated at 15 W = 630 J
        vm.refresh();
        var round = vm.rounds().getFirst();
        // 630 J = 0.000175 kWh: below 0.001 kWh, two significant digits, never "0.000"
        assertEquals("0.00018 kWh (estimated)", ContributionViewModel.roundEnergyText(round));
        assertEquals("0.00018 est.", ContributionViewModel.roundEnergyCell(round));
        assertEquals("0.000052 EUR", vm.roundCostText(round)); // 0.000175 kWh × 0.30 EUR = 0.0000525 EUR, a hair below the half in binary
        assertEquals("0.000052", vm.roundAmountCell(round));
        assertEquals("Cost (EUR)", vm.costColumnTitle());
        assertEquals("0.00018 kWh today · 0.00018 kWh in all (estimated)", vm.energyText());
        assertEquals("0.000052 EUR today · 0.000052 EUR in all", vm.costText());
    }

    @Test
    void withoutATariffTheCostSaysHowToGetOne() {
        var node = new FakeNodeService(dir);
        var vm = new ContributionViewModel(node, BackgroundTasks.sameThread(), ZoneOffset.UTC);
        vm.refresh();
        assertEquals("set a price per kWh in Settings to see it", vm.costText());
        assertEquals("0.000 kWh today · 0.000 kWh in all", vm.energyText());
    }
}
