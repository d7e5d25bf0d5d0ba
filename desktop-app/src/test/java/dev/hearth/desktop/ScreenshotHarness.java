package dev.hearth.desktop;

import dev.hearth.desktop.fake.FakeNodeService;
import dev.hearth.node.api.LogEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;

/// Test-scope only: the real app on a {@link FakeNodeService} that trains by itself, to check layouts under Xvfb.
/// Arguments are the app's own (`--screenshot-tour DIR` to capture every screen and exit); `--first-start` shows
/// the first start instead of the dashboard; `--no-gpu` plays a machine without an NVIDIA GPU.
public final class ScreenshotHarness {
    private ScreenshotHarness() {}

    public static void main(String[] args) throws Exception {
        List<String> list = new java.util.ArrayList<>(List.of(args));
        boolean firstStart = list.remove("--first-start");
        boolean noGpu = list.remove("--no-gpu");
        AppOptions options = AppOptions.parse(list);
        Path dataDir = options.dataDir() != null ? options.dataDir() : Files.createTempDirectory("hearth-harness");
        FakeNodeService node = new FakeNodeService(dataDir);
        node.now(java.time.Instant.now());
        if (noGpu) node.withoutGpu();
        node.pastRounds(60, Duration.ofHours(5));
        List<Double> losses = java.util.stream.IntStream.range(0, 60).mapToObj(i -> 3.3 * Math.exp(-i / 60.0) + 0.03 * Math.sin(i)).toList();
        node.runStatus(new dev.hearth.node.api.RunStatus("hearth-nano-local", 60, 3, losses, List.of(), 2, 3, 54, ""));
        node.log(LogEntry.Level.INFO, "node", "Data folder " + dataDir);
        node.log(LogEntry.Level.INFO, "engine", noGpu ? FakeNodeService.CPU_BACKEND : FakeNodeService.GPU_BACKEND);
        node.log(LogEntry.Level.DEBUG, "worker", "Worker started, pid 4242");
        node.log(LogEntry.Level.WARN, "idle", "GPU at 84 °C, above the 83 °C cap: pausing for a minute");
        node.log(LogEntry.Level.INFO, "idle", "GPU cooled to 71 °C: training again");
        if (!firstStart) {
            new dev.hearth.desktop.os.AppMarkers(dataDir).markFirstStartDone();
            node.startLocalRun();
        }
        var clock = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fake-node-clock");
            t.setDaemon(true);
            return t;
        });
        node.simulate(clock);
        HearthApp.launch(new AppOptions(dataDir, options.screenshotTour()), o -> node);
        System.exit(0);
    }
}
