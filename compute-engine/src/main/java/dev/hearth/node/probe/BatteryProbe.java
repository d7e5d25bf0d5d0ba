package dev.hearth.node.probe;

import dev.hearth.node.policy.Reading;
import java.util.List;
import oshi.SystemInfo;
import oshi.hardware.PowerSource;

/// Whether the machine runs on battery, via OSHI's power sources. A machine without a battery is on
/// mains (a fact, not an unknown).
public final class BatteryProbe {
    private SystemInfo si;

    public synchronized Reading<Boolean> onBattery() {
        try {
            if (si == null) si = new SystemInfo();
            return Reading.of(onBattery(si.getHardware().getPowerSources()));
        } catch (RuntimeException | LinkageError e) {
            return Reading.unavailable("power sources could not be read (" + e.getMessage() + ")");
        }
    }

    /// On battery when there is a battery and no source reports external power while one discharges.
    static boolean onBattery(List<PowerSource> sources) {
        if (sources.isEmpty()) return false;
        boolean online = false;
        boolean discharging = false;
        for (PowerSource p : sources) {
            online |= p.isPowerOnLine();
            discharging |= p.isDischarging();
        }
        return !online && discharging;
    }
}
