package dev.hearth.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/// The CUDA driver API (`libcuda.so.1` / `nvcuda.dll`) bound through Java's FFM API. One per process.
///
/// Layering (docs/architecture.md, "GPU backend"): this package is the only code that calls the driver; it
/// knows nothing about models. Above it, the CUDA training backend owns buffers and launches Hearth's own
/// kernels, shipped as PTX (docs/decisions/0002-cuda-through-ffm-and-ptx.md).
///
/// **Thread rule.** {@link #open(int)} makes the device's primary context current on the calling thread. Every
/// object it hands out ({@link DeviceBuffer}, {@link CudaModule}, {@link CudaStream}, ...) makes that context
/// current again on whichever thread calls it, so any thread may use them; but they are not synchronized, so one
/// thread at a time (the trainer's engine thread) should drive a context.
///
/// **Error rule.** Every failing driver call throws {@link CudaException} naming the call, its size argument and
/// the CUDA error name (`cuMemAlloc(512 MiB): CUDA_ERROR_OUT_OF_MEMORY (out of memory)`); not having a usable
/// driver or GPU is {@link CudaUnavailableException}, a sentence for the owner.
public final class CudaDriver {

    /// `cuDeviceGetName`'s buffer: names are ~30 characters ("NVIDIA GeForce RTX 4090"); the API takes a length.
    private static final int DEVICE_NAME_BYTES = 256;

    private static CudaDriver instance; // guarded by CudaDriver.class

    final CudaLibrary lib;
    private final int driverVersion;

    private CudaDriver(CudaLibrary lib, int driverVersion) {
        this.lib = lib;
        this.driverVersion = driverVersion;
    }

    /// Loads the library and calls `cuInit(0)`, once per process (later calls return the same driver). Throws
    /// {@link CudaUnavailableException} with a sentence for the owner: "no NVIDIA driver library (libcuda.so.1)
    /// found", "CUDA driver found but no GPU (CUDA_ERROR_NO_DEVICE)".
    public static synchronized CudaDriver load() throws CudaUnavailableException {
        if (instance == null) {
            instance = load(CudaLibrary.defaultLibraryName());
        }
        return instance;
    }

    /// The seam for tests: the same as {@link #load()} with another library name, not cached.
    static CudaDriver load(String libraryName) throws CudaUnavailableException {
        CudaLibrary lib = CudaLibrary.open(libraryName);
        int version = lib.driverVersion(); // answers before cuInit, so the reason below can carry it
        int rc = lib.cuInit(0);
        if (rc == CudaLibrary.CUDA_ERROR_NO_DEVICE) {
            throw new CudaUnavailableException("CUDA driver found but no GPU (CUDA_ERROR_NO_DEVICE)", rc, version);
        }
        if (rc != CudaLibrary.CUDA_SUCCESS) {
            // e.g. CUDA_ERROR_INSUFFICIENT_DRIVER (35): the user-space library is newer than the kernel module.
            throw new CudaUnavailableException("CUDA driver found but cuInit failed: " + lib.errorName(rc) + " ("
                    + lib.errorString(rc) + ")", rc, version);
        }
        return new CudaDriver(lib, version);
    }

    /// `cuDriverGetVersion`: the newest CUDA version the installed driver supports, `1000 * major + 10 * minor`
    /// (12020 = CUDA 12.2, shipped with driver R535).
    public int driverVersion() {
        return driverVersion;
    }

    /// `cuDeviceGetCount`: the cards this process may use (`CUDA_VISIBLE_DEVICES` applies).
    public int deviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            lib.check(lib.cuDeviceGetCount(out), "cuDeviceGetCount");
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /// Name, compute capability, memory and limits of one card.
    public DeviceInfo device(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            int device = deviceHandle(ordinal);
            MemorySegment name = arena.allocate(DEVICE_NAME_BYTES);
            lib.check(lib.cuDeviceGetName(name, DEVICE_NAME_BYTES, device), "cuDeviceGetName", "device " + ordinal);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            lib.check(lib.cuDeviceTotalMem(total, device), "cuDeviceTotalMem", "device " + ordinal);
            return new DeviceInfo(ordinal, name.getString(0, StandardCharsets.UTF_8),
                    attribute(device, CudaLibrary.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "compute capability major"),
                    attribute(device, CudaLibrary.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "compute capability minor"),
                    total.get(ValueLayout.JAVA_LONG, 0),
                    attribute(device, CudaLibrary.ATTRIBUTE_MULTIPROCESSOR_COUNT, "multiprocessor count"),
                    attribute(device, CudaLibrary.ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                            "max shared memory per block opt-in"));
        }
    }

    /// Retains the card's primary context (the one cuBLAS and other libraries share; `cuCtxCreate` is avoided
    /// because its signature changed in CUDA 13) and makes it current on the calling thread.
    public CudaContext open(int ordinal) {
        return new CudaContext(this, ordinal, deviceHandle(ordinal));
    }

    int deviceHandle(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            lib.check(lib.cuDeviceGet(out, ordinal), "cuDeviceGet", "device " + ordinal);
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }

    private int attribute(int device, int attribute, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            lib.check(lib.cuDeviceGetAttribute(out, attribute, device), "cuDeviceGetAttribute", what);
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }
}
