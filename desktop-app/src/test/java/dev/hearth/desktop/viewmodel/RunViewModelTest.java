package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.node.api.RunStatus;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunViewModelTest {
    @TempDir Path dir;

    @Test
    void beforeJoiningSaysSo() {
        var vm = new RunViewModel(new FakeNodeService(dir));
        vm.sample();
        assertEquals("Not joined yet: the run's picture appears once the coordinator answers.", vm.noteProperty().get());
        assertEquals("—", vm.rankProperty().get());
    }

    @Test
    void showsRoundNodesRankAndLossCurve() {
        var node = new FakeNodeService(dir);
        node.runStatus(new RunStatus("nano", 412, 7, List.of(3.1, 2.9, 2.7), List.of(), 3, 7, 12.5, "Once upon a time"));
        var vm = new RunViewModel(node);
        vm.sample();
        assertEquals("Run nano", vm.runNameProperty().get());
        assertEquals("", vm.noteProperty().get());
        assertEquals("412", vm.roundProperty().get());
        assertEquals("7", vm.nodesOnlineProperty().get());
        assertEquals("#3 of 7", vm.rankProperty().get());
        assertEquals("12.5", vm.creditsProperty().get());
        assertEquals(List.of(3.1, 2.9, 2.7), vm.lossHistory());
        assertEquals("Once upon a time", vm.modelSampleProperty().get());
    }

    @Test
    void theLocalRunsDashboardIsShownAndAPublicRunWithoutOneShowsNone() {
        var node = new FakeNodeService(dir);
        var vm = new RunViewModel(node);
        vm.sample();
        assertEquals("", vm.dashboardUrlProperty().get());
        node.startLocalRun();
        vm.sample();
        assertEquals("http://127.0.0.1:7480/", vm.dashboardUrlProperty().get());
    }
}
