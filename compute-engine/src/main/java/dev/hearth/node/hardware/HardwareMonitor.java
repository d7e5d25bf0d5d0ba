package dev.hearth.node.hardware;

import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.api.HardwareSample;
import dev.hearth.node.api.HardwareSample.GpuSample;
import dev.hearth.node.log.NodeLogger;
import dev.hearth.node.policy.Reading;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import oshi.SystemInfo;
import oshi.hardware.CentralProcessor;
import oshi.hardware.GlobalMemory;
import oshi.hardware.GpuStats;
import oshi.hardware.GraphicsCard;
import oshi.software.os.OSProcess;
import oshi.software.os.OperatingSystem;

/// Samples the machine on its own named thread (`hearth-hardware`) at most once a second and keeps
/// the latest [HardwareSample] for anyone to read without blocking (a latest-value holder).
///
/// CPU and memory come from OSHI; Hearth's share sums this JVM, its descendants (the worker) and
/// registered PIDs. GPUs come from NVML when the NVIDIA driver is there (it also tells how much VRAM
/// Hearth's processes hold), else from OSHI's `GraphicsCard.createStatsSession()` (AMD/Intel sysfs,
/// Windows PDH), with unknown figures as NaN / -1 as [HardwareSample] documents.
public final class HardwareMonitor implements AutoCloseable {

    /// 1 s: the UI samples at 4 Hz but the numbers are only interesting per second, and each sample
    /// reads /proc for every Hearth process — cheap, but not free on a 2-core machine.
    public static final Duration MIN_PERIOD = Duration.ofSeconds(1);

    private final Clock clock;
    private final NodeLogger log;
    private final HearthProcesses processes;
    private final ScheduledExecutorService executor;
    private volatile HardwareSample latest;

    // Sampler state: touched only on the sampler thread (or under `this` by sampleNow).
    private SystemInfo si;
    private long[] prevCpuTicks;
    private Map<Long, OSProcess> prevProcesses = new HashMap<>();
    private List<GraphicsCard> oshiCards;
    private List<GpuStats> oshiStats;

    public HardwareMonitor(Clock clock, NodeLogger log, HearthProcesses processes) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.log = Objects.requireNonNull(log, "log");
        this.processes = Objects.requireNonNull(processes, "processes");
        this.latest = HardwareSample.empty(clock.instant());
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hearth-hardware");
            t.setDaemon(true);
            return t;
        });
    }

    /// Starts sampling every `period` (at least [#MIN_PERIOD]).
    public void start(Duration period) {
        Duration p = period.compareTo(MIN_PERIOD) < 0 ? MIN_PERIOD : period;
        executor.scheduleWithFixedDelay(() -> {
            try {
                sampleNow();
            } catch (RuntimeException | LinkageError e) {
                // A sensor that fails once must not stop the sampler; say so once per failure.
                log.warn("hardware sampling failed", e);
            }
        }, 0, p.toMillis(), TimeUnit.MILLISECONDS);
    }

    /// The latest sample; never blocks.
    public HardwareSample latest() {
        return latest;
    }

    /// Takes a sample now on the calling thread, publishes and returns it. The first call's loads are
    /// 0 (load is measured between two samples).
    public synchronized HardwareSample sampleNow() {
        if (si == null) si = new SystemInfo();
        CentralProcessor cpu = si.getHardware().getProcessor();
        double cpuLoad = 0;
        long[] ticks = cpu.getSystemCpuLoadTicks();
        if (prevCpuTicks != null) cpuLoad = clamp01(cpu.getSystemCpuLoadBetweenTicks(prevCpuTicks));
        prevCpuTicks = ticks;
        GlobalMemory mem = si.getHardware().getMemory();
        long total = mem.getTotal();
        long used = total - mem.getAvailable();

        Set<Long> pids = processes.pids();
        OperatingSystem os = si.getOperatingSystem();
        Map<Long, OSProcess> now = new HashMap<>();
        double hearthCpu = 0;
        long hearthRss = 0;
        for (long pid : pids) {
            OSProcess p = os.getProcess((int) pid);
            if (p == null) continue;
            now.put(pid, p);
            hearthRss += p.getResidentMemory();
            OSProcess prev = prevProcesses.get(pid);
            // Fraction of one logical CPU between samples; of the whole machine after the division.
            if (prev != null) hearthCpu += p.getProcessCpuLoadBetweenTicks(prev);
        }
        prevProcesses = now;
        hearthCpu = clamp01(hearthCpu / Math.max(1, cpu.getLogicalProcessorCount()));

        HardwareSample s = new HardwareSample(clock.instant(), cpuLoad, hearthCpu, used, total, hearthRss, gpus(pids));
        latest = s;
        return s;
    }

    private List<GpuSample> gpus(Set<Long> pids) {
        if (Nvml.get() instanceof Reading.Available<Nvml>(Nvml nvml)) {
            List<GpuSample> out = new ArrayList<>();
            for (Nvml.Device d : nvml.devices()) {
                out.add(new GpuSample(d.name(), nvml.utilization(d.index()), d.vramUsedBytes(), d.vramTotalBytes(),
                        nvml.temperatureC(d.index()), nvml.powerWatts(d.index()),
                        hearthVramBytes(nvml.processes(d.index()), pids)));
            }
            return List.copyOf(out);
        }
        if (oshiCards == null) {
            oshiCards = si.getHardware().getGraphicsCards();
            oshiStats = new ArrayList<>();
            for (GraphicsCard c : oshiCards) oshiStats.add(c.createStatsSession());
        }
        List<GpuSample> out = new ArrayList<>();
        for (int i = 0; i < oshiCards.size(); i++) {
            GraphicsCard c = oshiCards.get(i);
            GpuStats st = oshiStats.get(i);
            double util = st.getGpuUtilization();
            double temp = st.getTemperature();
            double power = st.getPowerDraw();
            out.add(new GpuSample(c.getName(), util < 0 ? Double.NaN : util / 100.0, st.getVramUsed(), c.getVRam(),
                    temp <= 0 ? Double.NaN : temp, power < 0 ? Double.NaN : power, -1));
        }
        return List.copyOf(out);
    }

    /// VRAM Hearth's trainer holds on one GPU: the per-process memory NVML reports
    /// (`nvmlDeviceGetComputeRunningProcesses`) for Hearth's processes' CUDA contexts, each process counted once.
    /// Graphics contexts are left out: the app's own window (JavaFX draws with OpenGL) holds a little VRAM that
    /// does not come and go with training, and "Hearth's VRAM" is what pausing — which ends the worker — gives
    /// back. 0 when no Hearth process has a CUDA context there (paused, or training on the CPU); -1 when the
    /// driver does not tell a process's memory (Windows WDDM).
    static long hearthVramBytes(List<Nvml.GpuProcess> processes, Set<Long> pids) {
        Map<Long, Long> ours = new HashMap<>();
        for (Nvml.GpuProcess p : processes) {
            if (p.graphics() || !pids.contains(p.pid())) continue;
            if (p.usedGpuMemoryBytes() < 0) return -1;
            ours.putIfAbsent(p.pid(), p.usedGpuMemoryBytes()); // a process listed twice (MIG, _v2 + _v3) once
        }
        return ours.values().stream().mapToLong(Long::longValue).sum();
    }

    /// The first-start GPU check for the owner's `gpuIndex` choice (-1 = automatic).
    public GpuCheck gpuCheck(int gpuIndex) {
        List<GpuVerdict.Card> cards = new ArrayList<>();
        String problem = "";
        switch (Nvml.get()) {
            case Reading.Available<Nvml>(Nvml nvml) -> {
                for (Nvml.Device d : nvml.devices()) {
                    cards.add(new GpuVerdict.Card(d.name(), true, d.vramTotalBytes(), d.computeCapability(), nvml.driverVersion()));
                }
            }
            case Reading.Unavailable<Nvml>(String why) -> problem = why;
        }
        if (cards.isEmpty()) {
            // No NVML: list what OSHI sees, so an NVIDIA card without a driver or an AMD card is named.
            try {
                synchronized (this) {
                    if (si == null) si = new SystemInfo();
                }
                for (GraphicsCard c : si.getHardware().getGraphicsCards()) {
                    boolean nvidia = (c.getVendor() + " " + c.getName()).toLowerCase(Locale.ROOT).contains("nvidia");
                    cards.add(new GpuVerdict.Card(c.getName(), nvidia, c.getVRam(), "", ""));
                }
            } catch (RuntimeException | LinkageError e) {
                log.warn("could not list graphics cards", e);
            }
        }
        return GpuVerdict.check(cards, gpuIndex, problem);
    }

    private static double clamp01(double v) {
        return Double.isNaN(v) ? 0 : Math.max(0, Math.min(1, v));
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (oshiStats != null) oshiStats.forEach(GpuStats::close);
        }
    }
}
