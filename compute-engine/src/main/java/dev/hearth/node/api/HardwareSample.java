package dev.hearth.node.api;

import java.time.Instant;
import java.util.List;

/// One sample of the machine's load, with Hearth's own share where the OS tells it.
///
/// @param cpuLoad         whole-machine CPU load 0..1
/// @param hearthCpuLoad   Hearth's processes' CPU load 0..1 of the whole machine
/// @param memoryUsedBytes whole-machine memory in use
/// @param memoryTotalBytes installed memory
/// @param hearthRssBytes  resident memory of Hearth's processes (node + worker)
/// @param gpus            one entry per GPU; empty when none is visible
public record HardwareSample(
        Instant at,
        double cpuLoad,
        double hearthCpuLoad,
        long memoryUsedBytes,
        long memoryTotalBytes,
        long hearthRssBytes,
        List<GpuSample> gpus) {

    /// @param utilization   0..1, NaN when the driver does not report it
    /// @param vramUsedBytes -1 when unknown
    /// @param temperatureC  NaN when unknown
    /// @param powerWatts    NaN when unknown
    /// @param hearthVramBytes VRAM held by Hearth's worker, -1 when unknown
    public record GpuSample(String name, double utilization, long vramUsedBytes, long vramTotalBytes,
                            double temperatureC, double powerWatts, long hearthVramBytes) {}

    public static HardwareSample empty(Instant at) {
        return new HardwareSample(at, 0, 0, 0, 0, 0, List.of());
    }
}
