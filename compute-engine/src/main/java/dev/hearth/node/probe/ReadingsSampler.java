package dev.hearth.node.probe;

import com.sun.jna.Platform;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.HardwareSample.GpuSample;
import dev.hearth.node.hardware.HardwareMonitor;
import dev.hearth.node.hardware.HearthProcesses;
import dev.hearth.node.policy.Reading;
import dev.hearth.node.policy.Readings;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/// Gathers one [Readings] for the idle policy from every probe: owner idle, foreign GPU processes,
/// the full-screen app (X11, Windows), battery, and GPU temperature and power from the hardware monitor's
/// latest sample (so NVML is not queried twice a second). The node's policy loop calls [#sample()]
/// about once a second, off the UI thread. The clock's zone is the zone of schedules and reason
/// times: pass `Clock.systemDefaultZone()` in production.
public final class ReadingsSampler implements AutoCloseable {

    private final IdleProbe idle;
    private final GpuProcessProbe gpu;
    private final Supplier<Reading<Optional<String>>> fullscreen;
    private final BatteryProbe battery;
    private final Supplier<HardwareSample> hardware;
    private final Clock clock;
    private final Runnable onClose;

    public ReadingsSampler(IdleProbe idle, GpuProcessProbe gpu, Supplier<Reading<Optional<String>>> fullscreen,
                           BatteryProbe battery, Supplier<HardwareSample> hardware, Clock clock, Runnable onClose) {
        this.idle = Objects.requireNonNull(idle);
        this.gpu = Objects.requireNonNull(gpu);
        this.fullscreen = Objects.requireNonNull(fullscreen);
        this.battery = Objects.requireNonNull(battery);
        this.hardware = Objects.requireNonNull(hardware);
        this.clock = Objects.requireNonNull(clock);
        this.onClose = onClose;
    }

    /// The real probes of this machine.
    public static ReadingsSampler forThisMachine(Clock clock, HardwareMonitor monitor, HearthProcesses ours) {
        if (Platform.isWindows()) {
            WindowsFullscreenProbe fullscreen = new WindowsFullscreenProbe();
            return new ReadingsSampler(IdleProbes.forThisMachine(clock), GpuProcessProbe.nvml(ours), fullscreen::fullscreenApp,
                    new BatteryProbe(), monitor::latest, clock, null);
        }
        // X11 answers on Linux/BSD X sessions; elsewhere (Wayland-only, macOS) it says why not, and the
        // policy treats an unknown full-screen state as "none".
        X11 x11 = X11.fromEnvironment();
        return new ReadingsSampler(IdleProbes.forThisMachine(clock), GpuProcessProbe.nvml(ours), x11::fullscreenApp,
                new BatteryProbe(), monitor::latest, clock, x11::close);
    }

    public Readings sample() {
        HardwareSample hw = hardware.get();
        double temp = Double.NaN;
        double power = Double.NaN;
        for (GpuSample g : hw.gpus()) {
            // The hottest and hungriest card decides: a cap protects the machine, not one device.
            if (!Double.isNaN(g.temperatureC())) temp = Double.isNaN(temp) ? g.temperatureC() : Math.max(temp, g.temperatureC());
            if (!Double.isNaN(g.powerWatts())) power = Double.isNaN(power) ? g.powerWatts() : Math.max(power, g.powerWatts());
        }
        return new Readings(clock.getZone(),
                idle.ownerIdle(), gpu.foreignProcesses(), fullscreen.get(), battery.onBattery(), temp, power);
    }

    /// A one-line summary of what each probe sees, for the log at start-up.
    public String describe() {
        Readings r = sample();
        return "idle: " + r.ownerIdle().describe() + " | GPU processes: " + r.foreignGpuProcesses().describe()
                + " | full-screen: " + r.fullscreenApp().describe() + " | battery: " + r.onBattery().describe();
    }

    @Override
    public void close() {
        if (onClose != null) onClose.run();
    }
}
