package dev.hearth.node.probe;

import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.hardware.HardwareMonitor;
import dev.hearth.node.hardware.HearthProcesses;
import dev.hearth.node.log.EventLog;
import java.time.Clock;

/// Prints what every probe sees on this machine, for support and for checking a new desktop:
/// `java -cp ... dev.hearth.node.probe.ProbeReport [seconds]` (samples once a second).
public final class ProbeReport {
    /// 60 s: the longest a report samples; it is a diagnostic, not a monitor.
    private static final int MAX_SECONDS = 60;

    private ProbeReport() {}

    public static void main(String[] args) throws InterruptedException {
        int seconds = args.length > 0 ? Math.max(1, Math.min(MAX_SECONDS, Integer.parseInt(args[0]))) : 1;
        Clock clock = Clock.systemDefaultZone();
        EventLog log = new EventLog(clock);
        HearthProcesses ours = new HearthProcesses();
        try (HardwareMonitor monitor = new HardwareMonitor(clock, log.logger("hardware"), ours);
             ReadingsSampler sampler = ReadingsSampler.forThisMachine(clock, monitor, ours)) {
            System.out.println("GPU check: " + monitor.gpuCheck(-1).verdict());
            monitor.sampleNow();
            for (int i = 0; i < seconds; i++) {
                Thread.sleep(1000);
                HardwareSample hw = monitor.sampleNow();
                System.out.printf("cpu %.0f%% (Hearth %.1f%%), memory %d/%d MB, Hearth RSS %d MB, GPUs %s%n",
                        hw.cpuLoad() * 100, hw.hearthCpuLoad() * 100, hw.memoryUsedBytes() >> 20, hw.memoryTotalBytes() >> 20,
                        hw.hearthRssBytes() >> 20, hw.gpus());
                System.out.println(sampler.describe());
            }
        }
    }
}
