package dev.hearth.node.energy;

/// The CPU's energy when nothing measures it: the trainer's CPU time × [#WATTS_PER_BUSY_CORE].
public final class CpuEnergyEstimate {

    /// 15 W per busy core: a desktop CPU of 65–125 W TDP with 4–8 cores draws about 10–20 W per fully
    /// loaded core (package power over cores at all-core load); laptops less, high-end desktops more.
    /// An estimate, labelled as one wherever it is shown.
    public static final double WATTS_PER_BUSY_CORE = 15.0;

    private CpuEnergyEstimate() {}

    /// @param cpuSeconds CPU time the trainer used (all its threads summed), s
    /// @return J
    public static double joules(double cpuSeconds) {
        if (!Double.isFinite(cpuSeconds) || cpuSeconds < 0) return 0;
        return cpuSeconds * WATTS_PER_BUSY_CORE;
    }
}
