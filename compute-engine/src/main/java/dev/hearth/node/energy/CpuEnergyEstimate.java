package dev.hearth.node.energy;

import dev.hearth.node.api.EnergySource;

/// The CPU's energy when nothing measures it: the trainer's CPU time × [#WATTS_PER_BUSY_CORE].
public final class CpuEnergyEstimate {

    /// [EnergySource#ESTIMATE_WATTS_PER_BUSY_CORE] (15 W), kept in the API so front ends can say it.
    public static final double WATTS_PER_BUSY_CORE = EnergySource.ESTIMATE_WATTS_PER_BUSY_CORE;

    private CpuEnergyEstimate() {}

    /// @param cpuSeconds CPU time the trainer used (all its threads summed), s
    /// @return J
    public static double joules(double cpuSeconds) {
        if (!Double.isFinite(cpuSeconds) || cpuSeconds < 0) return 0;
        return cpuSeconds * WATTS_PER_BUSY_CORE;
    }
}
