package dev.hearth.node;

import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.policy.Readings;
import dev.hearth.node.probe.MachineProbes;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/// Probes that report an owner away for an hour, no GPU and nothing else running: for nodes that run inside
/// tests and benchmarks, where the real machine's keyboard and GPU say nothing about the run under test.
public final class AwayOwnerProbes implements MachineProbes {

    private final String why;

    /// @param why shown in the GPU check, e.g. "Benchmark: training on the CPU."
    public AwayOwnerProbes(String why) {
        this.why = why;
    }

    @Override
    public Readings readings() {
        return Readings.idleFor(Duration.ofHours(1), ZoneOffset.UTC);
    }

    @Override
    public HardwareSample hardware() {
        return HardwareSample.empty(Instant.now());
    }

    @Override
    public GpuCheck gpuCheck() {
        return new GpuCheck("no NVIDIA GPU found", 0, "", "", false, why);
    }

    @Override
    public void setWorkerPid(long pid) {}

    @Override
    public void close() {}
}
