package dev.hearth.desktop.view;

import static org.junit.jupiter.api.Assertions.*;

import atlantafx.base.theme.PrimerDark;
import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.desktop.os.AppMarkers;
import dev.hearth.desktop.os.Autostart;
import dev.hearth.desktop.viewmodel.BackgroundTasks;
import dev.hearth.node.api.NodeSettings.Policy;
import dev.hearth.node.api.RoundRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.control.TableView;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/// Clicks what a person clicks, on the real views over a {@link FakeNodeService}; headless on Monocle.
@Tag("ui")
@ExtendWith(ApplicationExtension.class)
class DesktopUiTest {
    /// Long enough for a background task and a 250 ms sampling tick on a busy 2-core machine.
    private static final long WAIT_SECONDS = 10;
    /// 900 px: a small laptop's window, narrower than the contribution table's twelve columns at their minimum.
    private static final double NARROW_WINDOW_WIDTH = 900;

    private FakeNodeService node;
    private AppWindow window;
    private ExecutorService background;

    @Start
    void start(Stage stage) throws Exception {
        Path dir = Files.createTempDirectory("hearth-ui");
        node = new FakeNodeService(dir);
        background = Executors.newSingleThreadExecutor();
        Application.setUserAgentStylesheet(new PrimerDark().getUserAgentStylesheet());
        window = new AppWindow(node, new BackgroundTasks(background, Platform::runLater), new AppMarkers(dir),
                new Autostart(dir.resolve("autostart"), List.of("hearth")), ZoneOffset.UTC);
        Scene scene = new Scene(window.root(), 1180, 800);
        scene.getStylesheets().add(Icons.stylesheet());
        stage.setScene(scene);
        stage.show();
        window.activate();
    }

    @AfterEach
    void stop() {
        Platform.runLater(window::deactivate);
        background.shutdownNow();
    }

    /// Finishes the first start the way a returning owner would have, so the main window shows.
    private void returningOwner(FxRobot robot) {
        node.startLocalRun();
        new AppMarkers(node.dataDir()).markFirstStartDone();
        robot.interact(window::showMain);
    }

    private static void waitUntil(String what, BooleanSupplier condition) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(WAIT_SECONDS, TimeUnit.SECONDS, () -> condition.getAsBoolean());
            // the condition may have been read while the FX thread was still applying the same snapshot
            WaitForAsyncUtils.waitForFxEvents();
        } catch (java.util.concurrent.TimeoutException e) {
            fail("timed out waiting until " + what);
        }
    }

    /// Scrolls the settings page as a person would with the wheel: 0 the top, 1 the bottom.
    private static void scrollSettings(FxRobot robot, double where) {
        robot.interact(() -> robot.lookup("#settings").queryAs(javafx.scene.control.ScrollPane.class).setVvalue(where));
    }

    private static String text(FxRobot robot, String query) {
        return robot.lookup(query).queryAs(Label.class).getText();
    }

    @Test
    void firstStartWithTheLocalRunShowsTrainingOnTheDashboard(FxRobot robot) throws Exception {
        assertTrue(window.showingFirstStart());
        waitUntil("the GPU check is shown", () -> text(robot, "#gpuCheck").contains("RTX 3060"));
        assertTrue(text(robot, "#whatRuns").contains("A run sends this computer data, never programs"), text(robot, "#whatRuns"));
        assertTrue(text(robot, "#afterStart").startsWith("Hearth starts training at once"), text(robot, "#afterStart"));
        assertTrue(text(robot, "#afterStart").contains("pauses the moment you use the computer"), text(robot, "#afterStart"));
        robot.clickOn("#startButton");
        waitUntil("the dashboard shows training and when it steps aside", () -> robot.lookup("#stateLine").tryQuery().isPresent()
                && text(robot, "#stateLine").equals("Training round 1 — " + FakeNodeService.STARTED_REASON));
        assertTrue(node.calls().contains("startLocalRun"));
        assertTrue(node.calls().contains("startNow"), node.calls().toString());
        assertEquals(Policy.WHEN_IDLE, node.settings().policy());
        assertTrue(new AppMarkers(node.dataDir()).firstStartDone());
    }

    @Test
    void aMalformedRunAddressIsRefusedBesideTheField(FxRobot robot) throws Exception {
        robot.clickOn("#joinRun");
        robot.clickOn("#runAddress").write("hearth://nowhere");
        robot.clickOn("#startButton");
        waitUntil("the address message", () -> text(robot, "#addressError").startsWith("needs #sha256=<fingerprint>"));
        assertTrue(window.showingFirstStart());
        assertFalse(node.calls().stream().anyMatch(c -> c.startsWith("joinRun")));
    }

    @Test
    void pauseAndResumeChangeTheStateLine(FxRobot robot) throws Exception {
        returningOwner(robot);
        waitUntil("training", () -> text(robot, "#stateLine").equals("Training round 1"));
        robot.clickOn("#pauseResume");
        waitUntil("paused", () -> text(robot, "#stateLine").equals("Paused — you paused Hearth"));
        assertEquals("Resume", robot.lookup("#pauseResume").queryButton().getText());
        robot.clickOn("#pauseResume");
        waitUntil("training again", () -> text(robot, "#stateLine").equals("Training round 1"));
        assertEquals(List.of("startLocalRun", "pause", "resume"), node.calls().stream().filter(c -> !c.equals("updateSettings")).toList());
    }

    @Test
    void finishShowsThatItIsFinishingAndPausesWhenTheRoundIsDone(FxRobot robot) throws Exception {
        returningOwner(robot);
        waitUntil("training", () -> text(robot, "#stateLine").equals("Training round 1"));
        robot.clickOn("#finishRound");
        waitUntil("finishing", () -> text(robot, "#stateLine").equals("Training round 1 — finishing this round, then pausing"));
        assertEquals("Finishing this round…", robot.lookup("#finishRound").queryButton().getText());
        assertTrue(robot.lookup("#finishRound").queryButton().isDisabled());
        robot.interact(() -> node.finishRound(104_857, 1.0, null));
        waitUntil("paused after the round", () -> text(robot, "#stateLine").equals("Paused — you paused Hearth"));
        assertEquals("Resume", robot.lookup("#pauseResume").queryButton().getText());
        assertEquals("Finish round, then pause", robot.lookup("#finishRound").queryButton().getText());
    }

    @Test
    void theRunViewLinksTheLocalRunsDashboard(FxRobot robot) throws Exception {
        returningOwner(robot);
        robot.clickOn("#nav-run");
        waitUntil("the dashboard link", () -> robot.lookup("#dashboardLink").tryQuery().isPresent()
                && robot.lookup("#dashboardLink").queryAs(javafx.scene.control.Hyperlink.class).isVisible());
        assertEquals("Open the run's dashboard: http://127.0.0.1:7480/",
                robot.lookup("#dashboardLink").queryAs(javafx.scene.control.Hyperlink.class).getText());
    }

    @Test
    void withoutAGpuTheGpuSettingsAreGreyedWithTheReason(FxRobot robot) throws Exception {
        node.withoutGpu();
        returningOwner(robot);
        robot.clickOn("#nav-settings");
        waitUntil("the note", () -> text(robot, "#gpuSettingsNote").equals(dev.hearth.desktop.viewmodel.SettingsViewModel.NO_GPU_NOTE));
        assertTrue(robot.lookup("#gpuTemperatureCapC").query().isDisabled());
        assertTrue(robot.lookup("#gpuPowerCapWatts").query().isDisabled());
        assertTrue(robot.lookup("#gpuIndex").query().isDisabled());
        assertFalse(robot.lookup("#uploadCapBytesPerSec").query().isDisabled());
    }

    @Test
    void theOnlyWhenIdleSwitchChangesThePolicy(FxRobot robot) throws Exception {
        returningOwner(robot);
        robot.clickOn("#nav-settings");
        robot.clickOn("#onlyWhenIdle");
        waitUntil("policy ALWAYS", () -> node.settings().policy() == Policy.ALWAYS);
        robot.clickOn("#onlyWhenIdle");
        waitUntil("policy WHEN_IDLE", () -> node.settings().policy() == Policy.WHEN_IDLE);
    }

    @Test
    void settingsShowValidationMessagesBesideTheField(FxRobot robot) throws Exception {
        returningOwner(robot);
        robot.clickOn("#nav-settings");
        robot.doubleClickOn("#idleMinutes").eraseText(3).write("0").type(KeyCode.ENTER);
        waitUntil("the idle message", () -> text(robot, "#error-idleMinutes").equals("must be between 1 and 240 minutes"));
        assertEquals(3, node.settings().idleMinutes());

        scrollSettings(robot, 0.6); // the network caps sit below the processor section
        robot.doubleClickOn("#uploadCapBytesPerSec").eraseText(3).write("8").type(KeyCode.ENTER);
        waitUntil("the cap message", () -> text(robot, "#error-uploadCapBytesPerSec").equals("must be 0 (no cap) or at least 16 KiB/s"));

        scrollSettings(robot, 0);
        robot.doubleClickOn("#idleMinutes").eraseText(3).write("15").type(KeyCode.ENTER);
        waitUntil("the message goes", () -> text(robot, "#error-idleMinutes").isEmpty());
        assertEquals(15, node.settings().idleMinutes());
    }

    @Test
    void aNewRunAddressAsksFirstAndKeepingTheCurrentRunJoinsNothing(FxRobot robot) throws Exception {
        returningOwner(robot);
        robot.clickOn("#nav-settings");
        scrollSettings(robot, 1);
        String address = "hearth://run.example.org:7443#sha256=" + "ab".repeat(32);
        robot.doubleClickOn("#runAddress").eraseText(5).write(address).type(KeyCode.ENTER);
        waitUntil("the question", () -> text(robot, "#runSwitchQuestion").startsWith(
                "Leave the local run and join the run at run.example.org:7443?"));
        assertFalse(node.calls().stream().anyMatch(c -> c.startsWith("joinRun")), "nothing joined before the answer");
        robot.clickOn("#cancelRunSwitch");
        waitUntil("the question goes", () -> text(robot, "#runSwitchQuestion").isEmpty());
        waitUntil("the field shows the current run", () -> robot.lookup("#runAddress").queryTextInputControl().getText().equals("local"));
        assertFalse(node.calls().stream().anyMatch(c -> c.startsWith("joinRun")));

        robot.doubleClickOn("#runAddress").eraseText(5).write(address).type(KeyCode.ENTER);
        waitUntil("the question again", () -> !text(robot, "#runSwitchQuestion").isEmpty());
        robot.clickOn("#confirmRunSwitch");
        waitUntil("joined", () -> node.calls().contains("joinRun " + address));
        waitUntil("said so", () -> text(robot, "#settingsStatus").equals("Switched to the run at run.example.org:7443"));
    }

    @Test
    void theCpuLimitIsTypedInTheProcessorSection(FxRobot robot) throws Exception {
        returningOwner(robot);
        robot.clickOn("#nav-settings");
        scrollSettings(robot, 0.6);
        robot.doubleClickOn("#cpuPercent").eraseText(3).write("150").type(KeyCode.ENTER);
        waitUntil("the percent message", () -> text(robot, "#error-cpuPercent").equals("must be between 1 and 100 % of CPU time"));
        robot.doubleClickOn("#cpuPercent").eraseText(3).write("50").type(KeyCode.ENTER);
        waitUntil("saved", () -> node.settings().cpuPercent() == 50);
    }

    @Test
    void theContributionTableFillsAfterRounds(FxRobot robot) throws Exception {
        returningOwner(robot);
        robot.clickOn("#nav-contribution");
        TableView<?> table = robot.lookup("#roundsTable").queryTableView();
        assertEquals(0, table.getItems().size());
        node.finishRound(104_857, 1.0, null);
        node.finishRound(104_857, 1.0, null);
        RoundRecord rejected = node.finishRound(104_857, 1.0, "arrived after the deadline");
        waitUntil("three rounds in the table", () -> table.getItems().size() == 3);
        assertEquals(rejected, table.getItems().getFirst());
        waitUntil("the totals", () -> text(robot, "#roundsTotal").equals("2 accepted · 1 rejected"));
    }

    /// Issue 16 item 8: in a window narrower than the twelve columns need, no column title is cut ("Ro…", "To…"):
    /// each column's minimum width holds its title as the header draws it, and the table scrolls sideways instead.
    @Test
    void everyContributionColumnIsAtLeastAsWideAsItsTitle(FxRobot robot) throws Exception {
        // a tariff gives the widest cost title, "Cost (EUR)"
        node.updateSettings(node.settings().toBuilder()
                .energy(e -> e.toBuilder().pricePerKwh(0.30).currency("EUR").build()).build());
        returningOwner(robot);
        robot.clickOn("#nav-contribution");
        TableView<?> table = robot.lookup("#roundsTable").queryTableView();
        node.finishRound(104_857, 1.0, null);
        waitUntil("a round in the table", () -> table.getItems().size() == 1);
        robot.interact(() -> table.getScene().getWindow().setWidth(NARROW_WINDOW_WIDTH));
        waitUntil("the cost column titled with the currency", () -> table.getColumns().getLast().getText().equals("Cost (EUR)"));

        // the root header (a nested one, no column of its own) holds the twelve columns' headers
        var headers = robot.from(table).lookup(".column-header").queryAllAs(javafx.scene.control.skin.TableColumnHeader.class)
                .stream().filter(h -> table.getColumns().contains(h.getTableColumn())).toList();
        assertEquals(table.getColumns().size(), headers.size(), "one header per column");
        double sumOfWidths = 0;
        for (var header : headers) {
            var column = header.getTableColumn();
            Label title = (Label) header.lookup(".label");
            javafx.scene.text.Text measured = new javafx.scene.text.Text(column.getText());
            measured.setFont(title.getFont());
            // the title's text, the label's padding and the header's own: what the header needs to draw it whole
            double needed = measured.getLayoutBounds().getWidth() + title.snappedLeftInset() + title.snappedRightInset()
                    + header.snappedLeftInset() + header.snappedRightInset();
            assertTrue(column.getMinWidth() >= needed, column.getText() + ": min width " + column.getMinWidth()
                    + " px, its title needs " + needed + " px");
            assertTrue(column.getWidth() >= column.getMinWidth(), column.getText() + " squeezed below its minimum");
            var shown = (javafx.scene.text.Text) title.lookup(".text");
            assertEquals(column.getText(), shown.getText(), "the header shows its title whole");
            sumOfWidths += column.getWidth();
        }
        assertTrue(sumOfWidths > table.getWidth(), "the window is narrow enough to test squeezing: " + sumOfWidths
                + " px of columns in a " + table.getWidth() + " px table");
        waitUntil("the table scrolls sideways, its columns not fitting", () -> robot.from(table).lookup(".scroll-bar")
                .queryAllAs(javafx.scene.control.ScrollBar.class).stream()
                .anyMatch(bar -> bar.getOrientation() == javafx.geometry.Orientation.HORIZONTAL && bar.isVisible()));
        // with room to scroll, no column stays squeezed to its title: the round's figures show whole ("44 …" was one);
        // a run's name has any length, and its column cuts a long one on purpose
        int figures = 0;
        for (var cell : robot.from(table).lookup(".table-cell").queryAllAs(javafx.scene.control.TableCell.class)) {
            if (cell.isEmpty() || cell.getText() == null || "Run".equals(cell.getTableColumn().getText())) continue;
            if (!(cell.lookup(".text") instanceof javafx.scene.text.Text shown)) continue;
            assertEquals(cell.getText(), shown.getText(), cell.getTableColumn().getText() + "'s cell shows its text whole");
            figures++;
        }
        assertTrue(figures >= table.getColumns().size() - 1, "the round's figures were checked: " + figures);
    }

    @Test
    void withoutAGpuTheDashboardSaysSoInsteadOfDrawingGpuCharts(FxRobot robot) throws Exception {
        node.withoutGpu();
        returningOwner(robot);
        waitUntil("the no-GPU line", () -> robot.lookup(".chart-placeholder").queryAll().size() == 1);
        assertTrue(robot.lookup(".label").queryAllAs(Label.class).stream()
                .anyMatch(l -> "No GPU visible — Hearth trains on the CPU".equals(l.getText())));
        assertEquals(2, robot.lookup(".hardware-chart").queryAll().stream().filter(javafx.scene.Node::isVisible)
                .filter(n -> n.getScene() != null).count(), "CPU and memory charts stay");
    }

    @Test
    void theLogFiltersByText(FxRobot robot) throws Exception {
        returningOwner(robot);
        node.log(dev.hearth.node.api.LogEntry.Level.WARN, "idle", "GPU at 84 °C, pausing");
        robot.clickOn("#nav-log");
        TableView<?> table = robot.lookup("#logTable").queryTableView();
        waitUntil("both lines", () -> table.getItems().size() == 2);
        robot.clickOn("#logTextFilter").write("84 °C");
        waitUntil("only the warning", () -> table.getItems().size() == 1);
    }
}
