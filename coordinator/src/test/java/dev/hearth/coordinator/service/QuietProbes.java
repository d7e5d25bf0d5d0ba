package dev.hearth.coordinator.service;

import dev.hearth.node.MachineProbes;
import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.policy.Readings;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/// Probes for in-process tests: the owner has been away for an hour, no GPU, nothing else running.
final class QuietProbes implements MachineProbes {

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
        return new GpuCheck("no NVIDIA GPU found", 0, "", "", false, "Test machine: training on the CPU.");
    }

    @Override
    public void setWorkerPid(long pid) {}

    @Override
    public void close() {}
}
