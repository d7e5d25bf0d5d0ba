package dev.hearth.node;

import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.hardware.HardwareMonitor;
import dev.hearth.node.hardware.HearthProcesses;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.log.NodeLogger;
import dev.hearth.node.policy.Readings;
import dev.hearth.node.probe.MachineProbes;
import dev.hearth.node.probe.ReadingsSampler;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/// The real [MachineProbes]: idle, GPU-process, full-screen and battery probes (dev.hearth.node.probe)
/// and the hardware monitor sampling once a second on `hearth-hardware`.
///
/// Readings carry the machine's local zone (schedule windows and the times in reasons are local),
/// whatever clock the rest of the node uses.
public final class Probes implements MachineProbes {

    /// 1 s: the policy decides once a second and the UI charts per second.
    static final Duration SAMPLE_PERIOD = Duration.ofSeconds(1);

    private final NodeLogger log;
    private final HearthProcesses ours = new HearthProcesses();
    private final HardwareMonitor monitor;
    private final ReadingsSampler sampler;
    private volatile GpuCheck gpuCheck;
    private long workerPid = -1;

    private Probes(EventLog eventLog, Clock clock) {
        this.log = eventLog.logger("probes");
        this.monitor = new HardwareMonitor(clock, log, ours);
        this.sampler = ReadingsSampler.forThisMachine(clock, monitor, ours);
    }

    /// Starts sampling and logs what each probe sees (or why it cannot).
    public static MachineProbes forThisMachine(EventLog eventLog) {
        Probes p = new Probes(Objects.requireNonNull(eventLog, "eventLog"), Clock.systemDefaultZone());
        p.monitor.start(SAMPLE_PERIOD);
        p.log.info("machine: " + p.sampler.describe());
        return p;
    }

    @Override
    public Readings readings() {
        return sampler.sample();
    }

    @Override
    public HardwareSample hardware() {
        return monitor.latest();
    }

    /// Computed once (it lists devices through NVML or OSHI), then cached.
    @Override
    public GpuCheck gpuCheck() {
        GpuCheck c = gpuCheck;
        if (c == null) {
            c = monitor.gpuCheck(-1);
            gpuCheck = c;
            log.info("GPU check: " + c.verdict());
        }
        return c;
    }

    @Override
    public synchronized void setWorkerPid(long pid) {
        if (workerPid > 0) ours.unregister(workerPid);
        workerPid = pid;
        if (pid > 0) ours.register(pid);
    }

    @Override
    public void close() {
        monitor.close();
        sampler.close();
    }
}
