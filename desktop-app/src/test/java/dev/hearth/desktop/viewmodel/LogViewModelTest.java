package dev.hearth.desktop.viewmodel;

import static org.junit.jupiter.api.Assertions.*;

import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.LogEntry.Level;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogViewModelTest {
    @TempDir Path dir;

    @Test
    void filtersByLowestLevelAndText() {
        var node = new FakeNodeService(dir);
        node.log(Level.DEBUG, "worker", "batch 17 loaded");
        node.log(Level.INFO, "session", "Connected to local run");
        node.log(Level.WARN, "idle", "GPU at 84 °C, pausing");
        var vm = new LogViewModel(node, BackgroundTasks.sameThread());
        assertEquals(2, vm.visible().size(), "INFO and above by default");
        vm.minLevelProperty().set(Level.DEBUG);
        assertEquals(3, vm.visible().size());
        vm.textProperty().set("gpu");
        assertEquals(1, vm.visible().size());
        assertEquals(Level.WARN, vm.visible().getFirst().level());
        vm.textProperty().set("WORKER");
        assertEquals("batch 17 loaded", vm.visible().getFirst().message(), "matches the source too, any case");
    }

    @Test
    void newLinesArriveThroughTheListenerAndOldOnesDropOff() {
        var node = new FakeNodeService(dir);
        var vm = new LogViewModel(node, BackgroundTasks.sameThread());
        for (int i = 0; i < LogViewModel.MAX_LINES + 10; i++) node.log(LogEntry.Level.INFO, "session", "line " + i);
        assertEquals(LogViewModel.MAX_LINES, vm.totalLines());
        assertEquals("line " + (LogViewModel.MAX_LINES + 9), vm.visible().getLast().message());
    }
}
