package dev.hearth.node.hardware;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.hearth.node.policy.Reading;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/// NVIDIA's management library (NVML, `libnvidia-ml.so.1` / `nvml.dll`, installed with the driver),
/// through JNA. One shared, lazily initialised instance: [#get()] returns it or says why there is none
/// ("no NVIDIA driver"), and never throws.
///
/// Only the handful of calls Hearth needs: device names, memory, compute capability, temperature,
/// power, utilisation, and the processes using each GPU (to spot a game, and to measure our worker).
public final class Nvml {

    // Return codes from nvml.h.
    static final int SUCCESS = 0;
    static final int ERROR_NOT_SUPPORTED = 3;
    static final int ERROR_INSUFFICIENT_SIZE = 7;
    /// NVML_VALUE_NOT_AVAILABLE: 0xFFFFFFFFFFFFFFFF for an unknown per-process memory figure.
    static final long VALUE_NOT_AVAILABLE = -1L;
    /// sizeof(nvmlProcessInfo_v1_t) = {uint pid; ull usedGpuMemory} with padding.
    static final int PROCESS_INFO_V1_BYTES = 16;
    /// sizeof(nvmlProcessInfo_t) for the _v2/_v3 calls = v1 + {uint gpuInstanceId; uint computeInstanceId}.
    static final int PROCESS_INFO_V2_BYTES = 24;
    /// 96 bytes: NVML_DEVICE_NAME_V2_BUFFER_SIZE; also enough for the driver version (80).
    private static final int NAME_BUFFER = 96;
    /// First guess at the number of processes on a GPU; grown on NVML_ERROR_INSUFFICIENT_SIZE.
    private static final int INITIAL_PROCESS_SLOTS = 64;
    /// NVML_TEMPERATURE_GPU: the GPU die sensor.
    private static final int TEMPERATURE_GPU = 0;

    /// The C functions used. JNA binds each on first call, so a missing newer symbol (`_v3` on an old
    /// driver) only fails that call.
    interface Lib extends Library {
        int nvmlInit_v2();
        int nvmlShutdown();
        String nvmlErrorString(int result);
        int nvmlSystemGetDriverVersion(byte[] version, int length);
        int nvmlDeviceGetCount_v2(IntByReference count);
        int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);
        int nvmlDeviceGetName(Pointer device, byte[] name, int length);
        int nvmlDeviceGetMemoryInfo(Pointer device, Pointer memory); // {ull total, free, used}
        int nvmlDeviceGetCudaComputeCapability(Pointer device, IntByReference major, IntByReference minor);
        int nvmlDeviceGetTemperature(Pointer device, int sensor, IntByReference celsius);
        int nvmlDeviceGetPowerUsage(Pointer device, IntByReference milliwatts);
        int nvmlDeviceGetUtilizationRates(Pointer device, Pointer utilization); // {uint gpu, memory} percent
        int nvmlDeviceGetComputeRunningProcesses_v3(Pointer device, IntByReference count, Pointer infos);
        int nvmlDeviceGetComputeRunningProcesses_v2(Pointer device, IntByReference count, Pointer infos);
        int nvmlDeviceGetComputeRunningProcesses(Pointer device, IntByReference count, Pointer infos);
        int nvmlDeviceGetGraphicsRunningProcesses_v3(Pointer device, IntByReference count, Pointer infos);
        int nvmlDeviceGetGraphicsRunningProcesses_v2(Pointer device, IntByReference count, Pointer infos);
        int nvmlDeviceGetGraphicsRunningProcesses(Pointer device, IntByReference count, Pointer infos);
    }

    /// One GPU as NVML sees it.
    ///
    /// @param computeCapability "8.6", or "" when NVML does not say
    public record Device(int index, String name, long vramTotalBytes, long vramUsedBytes, String computeCapability) {}

    /// A process with a context on a GPU.
    /// @param usedGpuMemoryBytes -1 when the driver does not tell (Windows WDDM)
    public record GpuProcess(long pid, long usedGpuMemoryBytes, boolean graphics) {}

    private static final Object LOCK = new Object();
    private static Reading<Nvml> instance;

    private final Lib lib;
    private final String driverVersion;

    private Nvml(Lib lib, String driverVersion) {
        this.lib = lib;
        this.driverVersion = driverVersion;
    }

    /// The initialised library, or why it is unavailable. Tried once per process.
    public static Reading<Nvml> get() {
        synchronized (LOCK) {
            if (instance == null) instance = load();
            return instance;
        }
    }

    private static Reading<Nvml> load() {
        Lib lib = null;
        for (String name : Platform.isWindows() ? List.of("nvml") : List.of("nvidia-ml", "libnvidia-ml.so.1")) {
            try {
                lib = Native.load(name, Lib.class);
                break;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                // not under this name; try the next
            }
        }
        if (lib == null) {
            return Reading.unavailable("no NVIDIA driver (the NVML library " + (Platform.isWindows() ? "nvml.dll" : "libnvidia-ml.so.1")
                    + " was not found)");
        }
        try {
            int rc = lib.nvmlInit_v2();
            if (rc != SUCCESS) return Reading.unavailable("the NVIDIA driver did not start NVML (" + errorString(lib, rc) + ")");
            byte[] buf = new byte[NAME_BUFFER];
            String driver = lib.nvmlSystemGetDriverVersion(buf, buf.length) == SUCCESS ? cString(buf) : "";
            return Reading.of(new Nvml(lib, driver));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return Reading.unavailable("the NVML library could not be used (" + e.getMessage() + ")");
        }
    }

    private static String errorString(Lib lib, int rc) {
        try {
            return lib.nvmlErrorString(rc) + ", code " + rc;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "code " + rc;
        }
    }

    public String driverVersion() {
        return driverVersion;
    }

    /// Every device; a device NVML cannot open is skipped.
    public synchronized List<Device> devices() {
        IntByReference count = new IntByReference();
        if (lib.nvmlDeviceGetCount_v2(count) != SUCCESS) return List.of();
        List<Device> out = new ArrayList<>();
        for (int i = 0; i < count.getValue(); i++) {
            Pointer h = handle(i);
            if (h == null) continue;
            byte[] name = new byte[NAME_BUFFER];
            String n = lib.nvmlDeviceGetName(h, name, name.length) == SUCCESS ? cString(name) : "NVIDIA GPU " + i;
            long total = 0;
            long used = -1;
            try (Memory mem = new Memory(24)) {
                if (lib.nvmlDeviceGetMemoryInfo(h, mem) == SUCCESS) {
                    total = mem.getLong(0);
                    used = mem.getLong(16);
                }
            }
            String cc = "";
            IntByReference major = new IntByReference();
            IntByReference minor = new IntByReference();
            try {
                if (lib.nvmlDeviceGetCudaComputeCapability(h, major, minor) == SUCCESS) cc = major.getValue() + "." + minor.getValue();
            } catch (UnsatisfiedLinkError e) {
                // drivers before R384 lack the call; the verdict says "unknown"
            }
            out.add(new Device(i, n, total, used, cc));
        }
        return List.copyOf(out);
    }

    /// GPU die temperature in °C, NaN when unknown.
    public synchronized double temperatureC(int index) {
        Pointer h = handle(index);
        IntByReference t = new IntByReference();
        return h != null && lib.nvmlDeviceGetTemperature(h, TEMPERATURE_GPU, t) == SUCCESS ? t.getValue() : Double.NaN;
    }

    /// Board power draw in W, NaN when unknown.
    public synchronized double powerWatts(int index) {
        Pointer h = handle(index);
        IntByReference mw = new IntByReference();
        return h != null && lib.nvmlDeviceGetPowerUsage(h, mw) == SUCCESS ? (mw.getValue() & 0xFFFFFFFFL) / 1000.0 : Double.NaN;
    }

    /// GPU utilisation 0..1 over the driver's last sample period, NaN when unknown.
    public synchronized double utilization(int index) {
        Pointer h = handle(index);
        if (h == null) return Double.NaN;
        try (Memory m = new Memory(8)) {
            return lib.nvmlDeviceGetUtilizationRates(h, m) == SUCCESS ? m.getInt(0) / 100.0 : Double.NaN;
        }
    }

    /// Compute and graphics processes on GPU `index`; empty when NVML cannot tell.
    public synchronized List<GpuProcess> processes(int index) {
        Pointer h = handle(index);
        if (h == null) return List.of();
        List<GpuProcess> out = new ArrayList<>();
        out.addAll(processList(h, false));
        out.addAll(processList(h, true));
        return List.copyOf(out);
    }

    private List<GpuProcess> processList(Pointer h, boolean graphics) {
        // Newest call first; an older driver lacks the symbol (UnsatisfiedLinkError) and we step down.
        for (int version = 3; version >= 1; version--) {
            int stride = version == 1 ? PROCESS_INFO_V1_BYTES : PROCESS_INFO_V2_BYTES;
            int slots = INITIAL_PROCESS_SLOTS;
            try {
                for (int attempt = 0; attempt < 3; attempt++) {
                    IntByReference count = new IntByReference(slots);
                    try (Memory buf = new Memory((long) slots * stride)) {
                        buf.clear();
                        int rc = call(h, graphics, version, count, buf);
                        if (rc == SUCCESS) return parseProcessInfos(buf, count.getValue(), stride, graphics);
                        if (rc != ERROR_INSUFFICIENT_SIZE) return List.of();
                        slots = Math.max(slots * 2, count.getValue() + 8); // processes come and go between calls
                    }
                }
                return List.of();
            } catch (UnsatisfiedLinkError e) {
                // try the older call
            }
        }
        return List.of();
    }

    private int call(Pointer h, boolean graphics, int version, IntByReference count, Pointer buf) {
        return switch (version) {
            case 3 -> graphics ? lib.nvmlDeviceGetGraphicsRunningProcesses_v3(h, count, buf) : lib.nvmlDeviceGetComputeRunningProcesses_v3(h, count, buf);
            case 2 -> graphics ? lib.nvmlDeviceGetGraphicsRunningProcesses_v2(h, count, buf) : lib.nvmlDeviceGetComputeRunningProcesses_v2(h, count, buf);
            default -> graphics ? lib.nvmlDeviceGetGraphicsRunningProcesses(h, count, buf) : lib.nvmlDeviceGetComputeRunningProcesses(h, count, buf);
        };
    }

    /// Reads `count` process-info structs of `stride` bytes: `uint pid` at 0, `ull usedGpuMemory` at 8.
    static List<GpuProcess> parseProcessInfos(Pointer buf, int count, int stride, boolean graphics) {
        List<GpuProcess> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long base = (long) i * stride;
            long pid = buf.getInt(base) & 0xFFFFFFFFL;
            long used = buf.getLong(base + 8);
            out.add(new GpuProcess(pid, used == VALUE_NOT_AVAILABLE ? -1 : used, graphics));
        }
        return out;
    }

    private Pointer handle(int index) {
        PointerByReference ref = new PointerByReference();
        return lib.nvmlDeviceGetHandleByIndex_v2(index, ref) == SUCCESS ? ref.getValue() : null;
    }

    static String cString(byte[] buf) {
        int n = 0;
        while (n < buf.length && buf[n] != 0) n++;
        return new String(buf, 0, n, StandardCharsets.UTF_8).strip();
    }
}
