package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import dev.hearth.desktop.fake.FakeNodeService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContributionViewModelTest {
    @TempDir Path dir;

    @Test
    void refreshLoadsTotalsChartAndRounds() {
        var node = new FakeNodeService(dir);
        node.pastRounds(18, Duration.ofHours(12));
        var vm = new ContributionViewModel(node, BackgroundTasks.sameThread(), ZoneOffset.UTC);
        vm.refresh();
        assertEquals(18, vm.rounds().size());
        assertEquals(16, vm.totalsProperty().get().roundsAccepted());
        assertEquals(2, vm.totalsProperty().get().roundsRejected());
        assertEquals("16 accepted · 2 rejected", vm.roundsText());
        assertEquals(ContributionViewModel.CHART_DAYS, vm.periods().size());
        assertTrue(vm.rounds().getFirst().finishedAt().isAfter(vm.rounds().getLast().finishedAt()), "most recent first");

        vm.periodProperty().set(ContributionViewModel.Period.WEEK);
        assertEquals(ContributionViewModel.CHART_WEEKS, vm.periods().size());
        assertEquals(vm.totalsProperty().get().tokens(), vm.periods().stream().mapToLong(d -> d.tokens()).sum());
    }

    @Test
    void aRecordedRoundRefreshesTheTable() {
        var node = new FakeNodeService(dir);
        node.startLocalRun();
        var vm = new ContributionViewModel(node, BackgroundTasks.sameThread(), ZoneOffset.UTC);
        vm.refresh();
        assertTrue(vm.rounds().isEmpty());
        node.finishRound(100_000, 1.5, null);
        node.finishRound(100_000, 1.5, "arrived after the deadline");
        assertEquals(2, vm.rounds().size());
        assertEquals("arrived after the deadline", vm.rounds().getFirst().rejectReason());
        assertEquals("1.5", vm.creditsText());
    }

    @Test
    void exportsEveryRoundAsCsv() throws Exception {
        var node = new FakeNodeService(dir);
        node.pastRounds(3, Duration.ofHours(1));
        var vm = new ContributionViewModel(node, BackgroundTasks.sameThread(), ZoneOffset.UTC);
        Path csv = dir.resolve("rounds.csv");
        vm.exportCsv(csv);
        assertEquals(4, Files.readAllLines(csv).size());
        assertTrue(vm.statusProperty().get().startsWith("Exported every round to"));
    }

    @Test
    void aHistoryFailureIsShownAsASentence() {
        var node = new FakeNodeService(dir);
        node.failHistory(new IllegalStateException("database is locked"));
        var vm = new ContributionViewModel(node, BackgroundTasks.sameThread(), ZoneOffset.UTC);
        vm.refresh();
        assertEquals("Could not read the contribution history: database is locked", vm.statusProperty().get());
        assertFalse(vm.loadingProperty().get());
    }

    @Test
    void anExportToAnUnwritablePlaceSaysWhy() {
        var node = new FakeNodeService(dir);
        var vm = new ContributionViewModel(node, BackgroundTasks.sameThread(), ZoneOffset.UTC);
        vm.exportCsv(dir.resolve("missing-folder").resolve("rounds.csv"));
        assertTrue(vm.statusProperty().get().startsWith("Export failed: "), vm.statusProperty().get());
    }

    @Test
    void theCsvChooserStartsInDocumentsOrHomeNotTheWorkingFolder() throws Exception {
        java.nio.file.Path home = java.nio.file.Files.createDirectories(dir.resolve("home"));
        assertEquals(home, ContributionViewModel.exportFolder(home));
        java.nio.file.Path documents = java.nio.file.Files.createDirectories(home.resolve("Documents"));
        assertEquals(documents, ContributionViewModel.exportFolder(home));
    }
}
