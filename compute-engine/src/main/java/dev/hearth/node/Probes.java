package dev.hearth.node;

import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.policy.Readings;
import java.time.Instant;
import java.time.ZoneId;

/// The machine probes for this OS.
public final class Probes implements MachineProbes {

    private Probes() {}

    public static MachineProbes forThisMachine(EventLog log) {
        return new Probes();
    }

    @Override
    public Readings readings() {
        return Readings.idleUnknown("no idle probe wired yet", ZoneId.systemDefault());
    }

    @Override
    public HardwareSample hardware() {
        return HardwareSample.empty(Instant.now());
    }

    @Override
    public GpuCheck gpuCheck() {
        return new GpuCheck("unknown", 0, "", "", false, "GPU check not wired yet");
    }

    @Override
    public void setWorkerPid(long pid) {}

    @Override
    public void close() {}
}
