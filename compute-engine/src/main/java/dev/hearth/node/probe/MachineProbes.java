package dev.hearth.node.probe;

import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.policy.Readings;

/// What the node reads from the machine: the idle-policy inputs, the load charts and the GPU check.
/// Implementations never throw for a missing probe; they report it as unavailable.
public interface MachineProbes extends AutoCloseable {

    /// Current policy inputs (owner idle time, foreign GPU processes, battery, GPU temperature and power).
    Readings readings();

    /// Latest load sample (cheap; sampled in the background).
    HardwareSample hardware();

    /// The GPU check shown at first start.
    GpuCheck gpuCheck();

    /// A process of Hearth's own (the trainer worker), so its load counts as Hearth's and its GPU use is not "foreign".
    void setWorkerPid(long pid);

    @Override
    void close();
}
