package dev.hearth.node.policy;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/// What the probes saw at one moment: the inputs of [IdlePolicy] besides settings, owner and clock.
///
/// @param zone                the machine's time zone (schedule windows and the times in reasons)
/// @param ownerIdle           time since the owner's last keyboard/mouse input, or why it is unknown
/// @param foreignGpuProcesses names of other processes using the GPU (a game, a video encoder); Hearth's
///                            own processes already excluded. Unavailable is treated as none.
/// @param fullscreenApp       the app showing a full-screen window, or empty; unavailable = none
/// @param onBattery           true on battery power; unavailable = on mains (a desktop)
/// @param gpuTemperatureC     hottest GPU temperature, °C; NaN when unknown
/// @param gpuPowerWatts       GPU power draw, W; NaN when unknown
/// @param grid                the grid's carbon intensity from the owner's feed, or why it is unknown
///                            ("no feed set", "the feed did not answer: …")
public record Readings(
        ZoneId zone,
        Reading<Duration> ownerIdle,
        Reading<List<String>> foreignGpuProcesses,
        Reading<Optional<String>> fullscreenApp,
        Reading<Boolean> onBattery,
        double gpuTemperatureC,
        double gpuPowerWatts,
        Reading<CarbonIntensity> grid) {

    /// 'No feed set': the grid reading when the owner has not given a carbon-intensity feed.
    public static final String NO_FEED = "no carbon-intensity feed set";

    /// Readings without a grid feed.
    public Readings(ZoneId zone, Reading<Duration> ownerIdle, Reading<List<String>> foreignGpuProcesses,
                    Reading<Optional<String>> fullscreenApp, Reading<Boolean> onBattery, double gpuTemperatureC,
                    double gpuPowerWatts) {
        this(zone, ownerIdle, foreignGpuProcesses, fullscreenApp, onBattery, gpuTemperatureC, gpuPowerWatts,
                Reading.unavailable(NO_FEED));
    }

    public Readings {
        Objects.requireNonNull(grid, "grid");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(ownerIdle, "ownerIdle");
        Objects.requireNonNull(foreignGpuProcesses, "foreignGpuProcesses");
        Objects.requireNonNull(fullscreenApp, "fullscreenApp");
        Objects.requireNonNull(onBattery, "onBattery");
    }

    /// The owner has been idle for `idle`; nothing else is known or going on.
    public static Readings idleFor(Duration idle, ZoneId zone) {
        return new Readings(zone, Reading.of(idle), Reading.of(List.of()), Reading.of(Optional.empty()),
                Reading.of(false), Double.NaN, Double.NaN);
    }

    /// No idle probe works on this machine (`why`); nothing else is known.
    public static Readings idleUnknown(String why, ZoneId zone) {
        return new Readings(zone, Reading.unavailable(why), Reading.of(List.of()), Reading.of(Optional.empty()),
                Reading.of(false), Double.NaN, Double.NaN);
    }

    public Readings withForeignGpuProcesses(String... names) {
        return new Readings(zone, ownerIdle, Reading.of(List.of(names)), fullscreenApp, onBattery, gpuTemperatureC, gpuPowerWatts);
    }

    public Readings withFullscreenApp(String app) {
        return new Readings(zone, ownerIdle, foreignGpuProcesses, Reading.of(Optional.ofNullable(app)), onBattery, gpuTemperatureC, gpuPowerWatts);
    }

    public Readings withOnBattery(boolean battery) {
        return new Readings(zone, ownerIdle, foreignGpuProcesses, fullscreenApp, Reading.of(battery), gpuTemperatureC, gpuPowerWatts);
    }

    public Readings withGpuTemperature(double celsius) {
        return new Readings(zone, ownerIdle, foreignGpuProcesses, fullscreenApp, onBattery, celsius, gpuPowerWatts);
    }

    public Readings withGpuPower(double watts) {
        return new Readings(zone, ownerIdle, foreignGpuProcesses, fullscreenApp, onBattery, gpuTemperatureC, watts);
    }

    public Readings withGrid(Reading<CarbonIntensity> reading) {
        return new Readings(zone, ownerIdle, foreignGpuProcesses, fullscreenApp, onBattery, gpuTemperatureC, gpuPowerWatts, reading);
    }
}
