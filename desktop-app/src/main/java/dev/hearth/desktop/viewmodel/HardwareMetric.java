package dev.hearth.desktop.viewmodel;

import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.HardwareSample.GpuSample;
import java.util.List;

/// The dashboard's live charts: what each one plots from a {@link HardwareSample}, as the whole machine's
/// value and Hearth's own share (NaN where the OS or the driver does not tell).
public enum HardwareMetric {
    GPU_UTILIZATION("GPU", "%", true, false),
    VRAM("VRAM", "GiB", true, true),
    GPU_TEMPERATURE("GPU temperature", "°C", true, false),
    GPU_POWER("GPU power", "W", true, false),
    CPU("CPU", "%", false, true),
    MEMORY("Memory", "GiB", false, true);

    private static final double GIB = 1024.0 * 1024 * 1024;

    private final String title;
    private final String unit;
    private final boolean gpu;
    private final boolean hasHearthShare;

    HardwareMetric(String title, String unit, boolean gpu, boolean hasHearthShare) {
        this.title = title;
        this.unit = unit;
        this.gpu = gpu;
        this.hasHearthShare = hasHearthShare;
    }

    public String title() {
        return title;
    }

    public String unit() {
        return unit;
    }

    /// True for metrics that need a GPU; the dashboard shows "no GPU" in their place when there is none.
    public boolean gpu() {
        return gpu;
    }

    public boolean hasHearthShare() {
        return hasHearthShare;
    }

    /// The whole machine's value in {@link #unit()}, NaN when unknown.
    public double total(HardwareSample s, int gpuIndex) {
        GpuSample g = gpu(s, gpuIndex);
        return switch (this) {
            case GPU_UTILIZATION -> g == null ? Double.NaN : g.utilization() * 100;
            case VRAM -> g == null || g.vramUsedBytes() < 0 ? Double.NaN : g.vramUsedBytes() / GIB;
            case GPU_TEMPERATURE -> g == null ? Double.NaN : g.temperatureC();
            case GPU_POWER -> g == null ? Double.NaN : g.powerWatts();
            case CPU -> s.cpuLoad() * 100;
            case MEMORY -> s.memoryUsedBytes() / GIB;
        };
    }

    /// Hearth's own part in {@link #unit()}, NaN when unknown or not measured for this metric.
    public double hearth(HardwareSample s, int gpuIndex) {
        GpuSample g = gpu(s, gpuIndex);
        return switch (this) {
            case VRAM -> g == null || g.hearthVramBytes() < 0 ? Double.NaN : g.hearthVramBytes() / GIB;
            case CPU -> s.hearthCpuLoad() * 100;
            case MEMORY -> s.hearthRssBytes() / GIB;
            default -> Double.NaN;
        };
    }

    /// The chart's upper bound in {@link #unit()}, or NaN to let the chart scale itself.
    public double upperBound(HardwareSample s, int gpuIndex) {
        GpuSample g = gpu(s, gpuIndex);
        return switch (this) {
            case GPU_UTILIZATION, CPU -> 100;
            case VRAM -> g == null || g.vramTotalBytes() <= 0 ? Double.NaN : g.vramTotalBytes() / GIB;
            case MEMORY -> s.memoryTotalBytes() <= 0 ? Double.NaN : s.memoryTotalBytes() / GIB;
            default -> Double.NaN;
        };
    }

    /// Which of `s`'s GPUs the dashboard shows: the one Hearth's trainer holds VRAM on (where it trains, whatever
    /// order the driver lists cards in), else the one the settings picked, else the first.
    ///
    /// @param settingsIndex the settings' `gpuIndex` (-1 automatic, -2 the CPU only, else a card)
    public static int shownGpu(HardwareSample s, int settingsIndex) {
        List<GpuSample> gpus = s.gpus();
        for (int i = 0; i < gpus.size(); i++) if (gpus.get(i).hearthVramBytes() > 0) return i;
        return settingsIndex >= 0 && settingsIndex < gpus.size() ? settingsIndex : 0;
    }

    /// GPU `gpuIndex` of the sample (out of range or negative: the first), or null when there is none.
    static GpuSample gpu(HardwareSample s, int gpuIndex) {
        if (s.gpus().isEmpty()) return null;
        int i = gpuIndex < 0 || gpuIndex >= s.gpus().size() ? 0 : gpuIndex;
        return s.gpus().get(i);
    }

    /// The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `raw`: axis steps people read at a glance (5, 10, 15 GiB).
    public static double niceTick(double raw) {
        if (!(raw > 0) || Double.isInfinite(raw)) return 1;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * magnitude >= raw * (1 - 1e-9)) return m * magnitude;
        }
        return 10 * magnitude;
    }

    /// A value axis label: whole numbers without decimals, others with at most one ("23.5", not "23.54").
    public static String valueTick(double v) {
        if (v == Math.rint(v)) return Long.toString((long) v);
        return String.format(java.util.Locale.ROOT, "%.1f", v);
    }

    /// A time axis label for seconds before now: "now", "−30 s", "−2 min".
    public static String timeTick(double secondsAgo) {
        long s = Math.round(-secondsAgo);
        if (s == 0) return "now";
        return s % 60 == 0 ? "−" + s / 60 + " min" : "−" + s + " s";
    }
}
