package dev.hearth.node.api;

import java.time.DayOfWeek;
import java.time.LocalTime;
import java.util.List;
import java.util.function.UnaryOperator;

/// Everything the owner can set. Immutable; {@link #validate()} names the first bad field, and {@link #toBuilder()}
/// derives a copy with some fields changed and every other one kept.
///
/// @param policy               when to contribute
/// @param idleMinutes          minutes without owner input before training starts (1..240)
/// @param schedule             windows (for {@link Policy#SCHEDULE}); empty means never
/// @param runOnBattery         keep contributing on battery power
/// @param gpuTemperatureCapC   pause above this GPU temperature, °C (50..100)
/// @param gpuPowerCapWatts     pause above this GPU power draw, W (0 = no cap, else 30..1000)
/// @param uploadCapBytesPerSec upload rate cap, bytes/s (0 = no cap, else ≥ 16 KiB/s)
/// @param downloadCapBytesPerSec download rate cap, bytes/s (0 = no cap, else ≥ 16 KiB/s)
/// @param dailyVolumeCapBytes  bytes up+down per day (0 = no cap, else ≥ 1 MiB)
/// @param gpuIndex             where to train: {@link #GPU_INDEX_AUTOMATIC} (-1: a usable GPU, else the CPU),
///                             {@link #GPU_INDEX_CPU} (-2: the CPU only), else the GPU's index (that card or the CPU)
/// @param startWithOs          start Hearth when the owner logs in
/// @param logLevel             DEBUG, INFO, WARN or ERROR
/// @param runAddress           the run to join: `hearth://...`, or "local" for the embedded run
/// @param dataCacheCapBytes    disk the run's training data (token shards) may take, bytes (≥ 64 MiB)
/// @param cpuCores             cores the trainer may use when it trains on the CPU ({@link #CPU_CORES_ALL}: 0, every
///                             core; else 1..{@link #MAX_CPU_CORES}, and at most the machine's)
/// @param cpuPercent           share of those cores' time the CPU trainer may take, % (1..100; BOINC's "use at most
///                             N % of CPU time"): it sleeps between micro-batches to stay under it
/// @param energy               tariff, cheap hours and the grid feed ({@link EnergySettings}); null = defaults
public record NodeSettings(
        Policy policy,
        int idleMinutes,
        List<ScheduleWindow> schedule,
        boolean runOnBattery,
        int gpuTemperatureCapC,
        int gpuPowerCapWatts,
        long uploadCapBytesPerSec,
        long downloadCapBytesPerSec,
        long dailyVolumeCapBytes,
        int gpuIndex,
        boolean startWithOs,
        String logLevel,
        String runAddress,
        long dataCacheCapBytes,
        int cpuCores,
        int cpuPercent,
        EnergySettings energy) {

    public NodeSettings {
        if (energy == null) energy = EnergySettings.defaults();
    }

    /// 4 GiB: the shards a node needs for a 1B-token corpus, and what a gaming PC's disk does not miss.
    public static final long DEFAULT_DATA_CACHE_CAP_BYTES = 4L << 30;
    /// 64 MiB: eight 8 Mi-token shards, so a round's batches (which may read every shard of a small corpus) fit.
    public static final long MIN_DATA_CACHE_CAP_BYTES = 64L << 20;

    /// `cpuCores`: every core the machine has (the default; the settings file stays right on another machine).
    public static final int CPU_CORES_ALL = 0;
    /// 1024 cores: more than any desktop or workstation has, so a larger number is a typo.
    public static final int MAX_CPU_CORES = 1024;
    /// `cpuPercent`: no limit on CPU time (the default).
    public static final int CPU_PERCENT_ALL = 100;
    /// 1 %: the least BOINC offers; at 1 % a nano round takes a hundred times as long and may miss its deadline.
    public static final int MIN_CPU_PERCENT = 1;

    /// A builder holding these settings, to change some fields and {@link Builder#build()} a copy with every other
    /// field kept. This is the one way to derive changed settings: a copy that lists all seventeen fields by hand
    /// drops the ones added after it was written (the first-start screen once reset the data cache cap, the CPU limit
    /// and the tariff that way).
    public Builder toBuilder() {
        return new Builder(this);
    }

    /// Changes to a {@link NodeSettings}, field by field; {@link #build()} does not validate (a view model builds a
    /// candidate first, then asks {@link NodeSettings#validate()} which field is wrong).
    public static final class Builder {
        private Policy policy;
        private int idleMinutes;
        private List<ScheduleWindow> schedule;
        private boolean runOnBattery;
        private int gpuTemperatureCapC;
        private int gpuPowerCapWatts;
        private long uploadCapBytesPerSec;
        private long downloadCapBytesPerSec;
        private long dailyVolumeCapBytes;
        private int gpuIndex;
        private boolean startWithOs;
        private String logLevel;
        private String runAddress;
        private long dataCacheCapBytes;
        private int cpuCores;
        private int cpuPercent;
        private EnergySettings energy;

        private Builder(NodeSettings s) {
            policy = s.policy; idleMinutes = s.idleMinutes; schedule = s.schedule; runOnBattery = s.runOnBattery;
            gpuTemperatureCapC = s.gpuTemperatureCapC; gpuPowerCapWatts = s.gpuPowerCapWatts;
            uploadCapBytesPerSec = s.uploadCapBytesPerSec; downloadCapBytesPerSec = s.downloadCapBytesPerSec;
            dailyVolumeCapBytes = s.dailyVolumeCapBytes; gpuIndex = s.gpuIndex; startWithOs = s.startWithOs;
            logLevel = s.logLevel; runAddress = s.runAddress; dataCacheCapBytes = s.dataCacheCapBytes;
            cpuCores = s.cpuCores; cpuPercent = s.cpuPercent; energy = s.energy;
        }

        public Builder policy(Policy v) { policy = v; return this; }
        public Builder idleMinutes(int v) { idleMinutes = v; return this; }
        public Builder schedule(List<ScheduleWindow> v) { schedule = v; return this; }
        public Builder runOnBattery(boolean v) { runOnBattery = v; return this; }
        public Builder gpuTemperatureCapC(int v) { gpuTemperatureCapC = v; return this; }
        public Builder gpuPowerCapWatts(int v) { gpuPowerCapWatts = v; return this; }
        public Builder uploadCapBytesPerSec(long v) { uploadCapBytesPerSec = v; return this; }
        public Builder downloadCapBytesPerSec(long v) { downloadCapBytesPerSec = v; return this; }
        public Builder dailyVolumeCapBytes(long v) { dailyVolumeCapBytes = v; return this; }
        public Builder gpuIndex(int v) { gpuIndex = v; return this; }
        public Builder startWithOs(boolean v) { startWithOs = v; return this; }
        public Builder logLevel(String v) { logLevel = v; return this; }
        public Builder runAddress(String v) { runAddress = v; return this; }
        public Builder dataCacheCapBytes(long v) { dataCacheCapBytes = v; return this; }
        public Builder cpuCores(int v) { cpuCores = v; return this; }
        public Builder cpuPercent(int v) { cpuPercent = v; return this; }
        public Builder energy(EnergySettings v) { energy = v; return this; }
        /// The energy settings `change` derives from the current ones (e.g. `e -> e.toBuilder().currency("USD").build()`).
        public Builder energy(UnaryOperator<EnergySettings> change) {
            energy = change.apply(energy == null ? EnergySettings.defaults() : energy);
            return this;
        }

        public NodeSettings build() {
            return new NodeSettings(policy, idleMinutes, schedule, runOnBattery, gpuTemperatureCapC, gpuPowerCapWatts,
                    uploadCapBytesPerSec, downloadCapBytesPerSec, dailyVolumeCapBytes, gpuIndex, startWithOs, logLevel,
                    runAddress, dataCacheCapBytes, cpuCores, cpuPercent, energy);
        }
    }

    /// The trainer's CPU threads on a machine with `available` cores: {@link #cpuCores}, at most `available`.
    public int cpuThreads(int available) {
        return cpuCores == CPU_CORES_ALL ? Math.max(1, available) : Math.max(1, Math.min(cpuCores, available));
    }

    /// The CPU limit in words for a machine with `machineCores` cores, as `hearth status` and the app say it:
    /// "50 % of 2 cores", "100 % of 1 of 2 cores", "none (all 2 cores, all of their time)".
    public String cpuLimitText(int machineCores) {
        int machine = Math.max(1, machineCores);
        int threads = cpuThreads(machine);
        if (cpuCores == CPU_CORES_ALL && cpuPercent == CPU_PERCENT_ALL) {
            return "none (all " + cores(machine) + ", all of their time)";
        }
        String of = threads < machine ? threads + " of " + cores(machine) : cores(threads);
        String text = cpuPercent + " % of " + of;
        // a limit copied from a bigger machine: say what it asked for and what it gets here
        return cpuCores > machine ? text + " (" + cores(cpuCores) + " set; this computer has " + machine + ")" : text;
    }

    private static String cores(int n) {
        return n == 1 ? "1 core" : n + " cores";
    }

    public enum Policy {
        /// Only after `idleMinutes` without input (the default).
        WHEN_IDLE,
        /// Whenever Hearth runs.
        ALWAYS,
        /// Inside the schedule windows, and only when idle.
        SCHEDULE
    }

    /// A weekly window, e.g. weekdays 22:00–07:00 (end before start wraps past midnight).
    public record ScheduleWindow(List<DayOfWeek> days, LocalTime start, LocalTime end) {}

    public static final int MIN_IDLE_MINUTES = 1;
    public static final int MAX_IDLE_MINUTES = 240; // 4 h: beyond that "idle" means "off"
    public static final long MIN_RATE_CAP_BYTES_PER_SEC = 16 * 1024; // 16 KiB/s: below, a nano update takes minutes
    public static final long MIN_DAILY_CAP_BYTES = 1 << 20; // 1 MiB: less cannot carry one round of `nano`
    /// 16 GiB/s (128 Gbit/s): faster than any home or office link, so a larger cap is a typo, not a wish (0 = no cap).
    public static final long MAX_RATE_CAP_BYTES_PER_SEC = 16L << 30;
    /// 1 PiB a day: more than a 100 Gbit/s link carries in a day; a larger cap is a typo (0 = no cap).
    public static final long MAX_DAILY_CAP_BYTES = 1L << 50;

    /// `gpuIndex`: train on a usable NVIDIA GPU, else on the CPU (the default).
    public static final int GPU_INDEX_AUTOMATIC = -1;
    /// `gpuIndex`: train on the CPU, never on a GPU (kept a number so that older settings files still read).
    public static final int GPU_INDEX_CPU = -2;

    public static NodeSettings defaults() {
        return new NodeSettings(Policy.WHEN_IDLE, 3, List.of(), false, 83, 0, 0, 0, 0, GPU_INDEX_AUTOMATIC, false, "INFO",
                "local", DEFAULT_DATA_CACHE_CAP_BYTES, CPU_CORES_ALL, CPU_PERCENT_ALL, EnergySettings.defaults());
    }

    /// The trainer worker's `--device` for {@link #gpuIndex}: `auto`, `cpu` or the GPU's index.
    public String device() {
        return gpuIndex == GPU_INDEX_AUTOMATIC ? "auto" : gpuIndex == GPU_INDEX_CPU ? "cpu" : Integer.toString(gpuIndex);
    }

    /// {@link #gpuIndex} for a `--device` value (`auto`, `cpu` or a GPU index).
    public static int gpuIndexOf(String device) {
        String d = device.strip();
        if (d.equalsIgnoreCase("auto")) return GPU_INDEX_AUTOMATIC;
        if (d.equalsIgnoreCase("cpu")) return GPU_INDEX_CPU;
        try {
            int i = Integer.parseInt(d);
            if (i >= 0) return i;
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("device '" + device + "': expected auto, cpu or a GPU index (0, 1, ...)");
    }

    /// @throws InvalidSettingException naming the first bad field
    public NodeSettings validate() throws InvalidSettingException {
        if (policy == null) throw new InvalidSettingException("policy", "choose when to contribute");
        if (idleMinutes < MIN_IDLE_MINUTES || idleMinutes > MAX_IDLE_MINUTES)
            throw new InvalidSettingException("idleMinutes", "must be between " + MIN_IDLE_MINUTES + " and " + MAX_IDLE_MINUTES + " minutes");
        if (schedule == null) throw new InvalidSettingException("schedule", "missing");
        for (ScheduleWindow w : schedule) {
            if (w.days() == null || w.days().isEmpty()) throw new InvalidSettingException("schedule", "a window needs at least one day");
            if (w.start() == null || w.end() == null || w.start().equals(w.end()))
                throw new InvalidSettingException("schedule", "a window needs a start and an end that differ");
        }
        if (gpuTemperatureCapC < 50 || gpuTemperatureCapC > 100)
            throw new InvalidSettingException("gpuTemperatureCapC", "must be between 50 and 100 °C");
        if (gpuPowerCapWatts != 0 && (gpuPowerCapWatts < 30 || gpuPowerCapWatts > 1000))
            throw new InvalidSettingException("gpuPowerCapWatts", "must be 0 (no cap) or between 30 and 1000 W");
        if (uploadCapBytesPerSec < 0 || (uploadCapBytesPerSec > 0 && uploadCapBytesPerSec < MIN_RATE_CAP_BYTES_PER_SEC))
            throw new InvalidSettingException("uploadCapBytesPerSec", "must be 0 (no cap) or at least 16 KiB/s");
        if (uploadCapBytesPerSec > MAX_RATE_CAP_BYTES_PER_SEC)
            throw new InvalidSettingException("uploadCapBytesPerSec", "must be at most 16 GiB/s (16777216 KiB/s); 0 means no cap");
        if (downloadCapBytesPerSec < 0 || (downloadCapBytesPerSec > 0 && downloadCapBytesPerSec < MIN_RATE_CAP_BYTES_PER_SEC))
            throw new InvalidSettingException("downloadCapBytesPerSec", "must be 0 (no cap) or at least 16 KiB/s");
        if (downloadCapBytesPerSec > MAX_RATE_CAP_BYTES_PER_SEC)
            throw new InvalidSettingException("downloadCapBytesPerSec", "must be at most 16 GiB/s (16777216 KiB/s); 0 means no cap");
        if (dailyVolumeCapBytes < 0 || (dailyVolumeCapBytes > 0 && dailyVolumeCapBytes < MIN_DAILY_CAP_BYTES))
            throw new InvalidSettingException("dailyVolumeCapBytes", "must be 0 (no cap) or at least 1 MiB");
        if (dailyVolumeCapBytes > MAX_DAILY_CAP_BYTES)
            throw new InvalidSettingException("dailyVolumeCapBytes", "must be at most 1 PiB (1073741824 MiB) a day; 0 means no cap");
        if (gpuIndex < GPU_INDEX_CPU)
            throw new InvalidSettingException("gpuIndex", "must be -1 (automatic), -2 (the CPU only) or a GPU index");
        if (logLevel == null || !List.of("DEBUG", "INFO", "WARN", "ERROR").contains(logLevel))
            throw new InvalidSettingException("logLevel", "must be DEBUG, INFO, WARN or ERROR");
        if (dataCacheCapBytes < MIN_DATA_CACHE_CAP_BYTES)
            throw new InvalidSettingException("dataCacheCapBytes", "must be at least 64 MiB (one round's training data)");
        if (cpuCores < 0 || cpuCores > MAX_CPU_CORES)
            throw new InvalidSettingException("cpuCores", "must be 0 (every core) or between 1 and " + MAX_CPU_CORES + " cores");
        if (cpuPercent < MIN_CPU_PERCENT || cpuPercent > CPU_PERCENT_ALL)
            throw new InvalidSettingException("cpuPercent", "must be between " + MIN_CPU_PERCENT + " and 100 % of CPU time");
        if (runAddress == null || runAddress.isBlank())
            throw new InvalidSettingException("runAddress", "enter a hearth:// address or choose the local run");
        energy.validate();
        return this;
    }
}
