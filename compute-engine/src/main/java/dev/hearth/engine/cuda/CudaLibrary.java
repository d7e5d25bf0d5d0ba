package dev.hearth.engine.cuda;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/// The CUDA driver API's C functions as FFM downcalls, one method per function, each returning the raw
/// `CUresult` (0 = `CUDA_SUCCESS`); {@link #check} turns a failure into a {@link CudaException}.
///
/// Every symbol is looked up when the library is opened, so a driver that lacks one fails at load, naming it,
/// not in the middle of a round. The exported `_v2` names are bound where the header `#define`s the plain name to
/// them (`cuMemAlloc` → `cuMemAlloc_v2`): the plain names are the CUDA 3.x ABI with 32-bit sizes.
///
/// C types: `CUresult`, `CUdevice` and enums are `int`; `CUdeviceptr` is `unsigned long long` and `size_t` is
/// 64-bit on every platform Hearth runs on (Linux and Windows x86-64), so both are `long`; handles
/// (`CUcontext`, `CUmodule`, `CUfunction`, `CUstream`, `CUevent`) are pointers.
///
/// No call is `Linker.Option.critical`: several of them wait for the GPU (a synchronous copy waits for the
/// stream's earlier kernels), and a critical call keeps its thread from reaching a safepoint, which would stall
/// every thread of the JVM at the next garbage collection until the GPU finishes. Java arrays therefore travel
/// through a pinned staging buffer ({@link CudaContext}), never as heap segments.
final class CudaLibrary {

    static final String LINUX_LIBRARY = "libcuda.so.1";
    static final String WINDOWS_LIBRARY = "nvcuda.dll";

    static final int CUDA_SUCCESS = 0;
    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    static final int CUDA_ERROR_NO_DEVICE = 100;
    static final int CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;

    // CUdevice_attribute values (cuda.h).
    static final int ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    static final int ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    static final int ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    static final int ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
    // CUfunction_attribute.
    static final int FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
    // CUjit_option.
    static final int JIT_INFO_LOG_BUFFER = 3;
    static final int JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
    static final int JIT_ERROR_LOG_BUFFER = 5;
    static final int JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    /// `CU_STREAM_DEFAULT`: a *blocking* stream, which the legacy default stream synchronizes with; so the
    /// synchronous copies and memsets (issued on the default stream) are ordered with the kernels on Hearth's
    /// stream without an explicit wait.
    static final int STREAM_DEFAULT = 0;
    static final int EVENT_DEFAULT = 0;

    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final AddressLayout P = ValueLayout.ADDRESS;
    /// Longest error name or string the driver returns is ~100 characters; 4 KiB bounds the read of a C string.
    private static final long MAX_C_STRING_BYTES = 4096;

    private final String libraryName;
    private final SymbolLookup lookup;
    private final Linker linker = Linker.nativeLinker();
    private final List<String> bound = new ArrayList<>();

    private final MethodHandle cuGetErrorName;
    private final MethodHandle cuGetErrorString;
    private final MethodHandle cuInit;
    private final MethodHandle cuDriverGetVersion;
    private final MethodHandle cuDeviceGetCount;
    private final MethodHandle cuDeviceGet;
    private final MethodHandle cuDeviceGetName;
    private final MethodHandle cuDeviceGetAttribute;
    private final MethodHandle cuDeviceTotalMem;
    private final MethodHandle cuDevicePrimaryCtxRetain;
    private final MethodHandle cuDevicePrimaryCtxRelease;
    private final MethodHandle cuCtxSetCurrent;
    private final MethodHandle cuCtxSynchronize;
    private final MethodHandle cuMemAlloc;
    private final MethodHandle cuMemFree;
    private final MethodHandle cuMemAllocHost;
    private final MethodHandle cuMemFreeHost;
    private final MethodHandle cuMemcpyHtoD;
    private final MethodHandle cuMemcpyDtoH;
    private final MethodHandle cuMemcpyHtoDAsync;
    private final MethodHandle cuMemcpyDtoHAsync;
    private final MethodHandle cuMemsetD8;
    private final MethodHandle cuMemsetD32;
    private final MethodHandle cuMemGetInfo;
    private final MethodHandle cuModuleLoadDataEx;
    private final MethodHandle cuModuleGetFunction;
    private final MethodHandle cuModuleUnload;
    private final MethodHandle cuFuncSetAttribute;
    private final MethodHandle cuLaunchKernel;
    private final MethodHandle cuStreamCreate;
    private final MethodHandle cuStreamSynchronize;
    private final MethodHandle cuStreamDestroy;
    private final MethodHandle cuEventCreate;
    private final MethodHandle cuEventRecord;
    private final MethodHandle cuEventSynchronize;
    private final MethodHandle cuEventElapsedTime;
    private final MethodHandle cuEventDestroy;

    @SuppressWarnings("restricted") // native access is the point; the launcher passes --enable-native-access
    private CudaLibrary(String libraryName, SymbolLookup lookup) throws CudaUnavailableException {
        this.libraryName = libraryName;
        this.lookup = lookup;
        cuGetErrorName = bind("cuGetErrorName", FunctionDescriptor.of(I, I, P));
        cuGetErrorString = bind("cuGetErrorString", FunctionDescriptor.of(I, I, P));
        cuInit = bind("cuInit", FunctionDescriptor.of(I, I));
        cuDriverGetVersion = bind("cuDriverGetVersion", FunctionDescriptor.of(I, P));
        cuDeviceGetCount = bind("cuDeviceGetCount", FunctionDescriptor.of(I, P));
        cuDeviceGet = bind("cuDeviceGet", FunctionDescriptor.of(I, P, I));
        cuDeviceGetName = bind("cuDeviceGetName", FunctionDescriptor.of(I, P, I, I));
        cuDeviceGetAttribute = bind("cuDeviceGetAttribute", FunctionDescriptor.of(I, P, I, I));
        cuDeviceTotalMem = bind("cuDeviceTotalMem_v2", FunctionDescriptor.of(I, P, I));
        cuDevicePrimaryCtxRetain = bind("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(I, P, I));
        cuDevicePrimaryCtxRelease = bind("cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(I, I));
        cuCtxSetCurrent = bind("cuCtxSetCurrent", FunctionDescriptor.of(I, P));
        cuCtxSynchronize = bind("cuCtxSynchronize", FunctionDescriptor.of(I));
        cuMemAlloc = bind("cuMemAlloc_v2", FunctionDescriptor.of(I, P, L));
        cuMemFree = bind("cuMemFree_v2", FunctionDescriptor.of(I, L));
        cuMemAllocHost = bind("cuMemAllocHost_v2", FunctionDescriptor.of(I, P, L));
        cuMemFreeHost = bind("cuMemFreeHost", FunctionDescriptor.of(I, P));
        cuMemcpyHtoD = bind("cuMemcpyHtoD_v2", FunctionDescriptor.of(I, L, P, L));
        cuMemcpyDtoH = bind("cuMemcpyDtoH_v2", FunctionDescriptor.of(I, P, L, L));
        cuMemcpyHtoDAsync = bind("cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(I, L, P, L, P));
        cuMemcpyDtoHAsync = bind("cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(I, P, L, L, P));
        cuMemsetD8 = bind("cuMemsetD8_v2", FunctionDescriptor.of(I, L, ValueLayout.JAVA_BYTE, L));
        cuMemsetD32 = bind("cuMemsetD32_v2", FunctionDescriptor.of(I, L, I, L));
        cuMemGetInfo = bind("cuMemGetInfo_v2", FunctionDescriptor.of(I, P, P));
        cuModuleLoadDataEx = bind("cuModuleLoadDataEx", FunctionDescriptor.of(I, P, P, I, P, P));
        cuModuleGetFunction = bind("cuModuleGetFunction", FunctionDescriptor.of(I, P, P, P));
        cuModuleUnload = bind("cuModuleUnload", FunctionDescriptor.of(I, P));
        cuFuncSetAttribute = bind("cuFuncSetAttribute", FunctionDescriptor.of(I, P, I, I));
        cuLaunchKernel = bind("cuLaunchKernel", FunctionDescriptor.of(I, P, I, I, I, I, I, I, I, P, P, P));
        cuStreamCreate = bind("cuStreamCreate", FunctionDescriptor.of(I, P, I));
        cuStreamSynchronize = bind("cuStreamSynchronize", FunctionDescriptor.of(I, P));
        cuStreamDestroy = bind("cuStreamDestroy_v2", FunctionDescriptor.of(I, P));
        cuEventCreate = bind("cuEventCreate", FunctionDescriptor.of(I, P, I));
        cuEventRecord = bind("cuEventRecord", FunctionDescriptor.of(I, P, P));
        cuEventSynchronize = bind("cuEventSynchronize", FunctionDescriptor.of(I, P));
        cuEventElapsedTime = bind("cuEventElapsedTime", FunctionDescriptor.of(I, P, P, P));
        cuEventDestroy = bind("cuEventDestroy_v2", FunctionDescriptor.of(I, P));
    }

    /// `libcuda.so.1` on Linux, `nvcuda.dll` on Windows (both installed by the NVIDIA driver, not by a toolkit).
    static String defaultLibraryName() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")
                ? WINDOWS_LIBRARY : LINUX_LIBRARY;
    }

    /// Opens the library by name (the system's library search: `dlopen` / `LoadLibrary`) and binds every function.
    @SuppressWarnings("restricted")
    static CudaLibrary open(String libraryName) throws CudaUnavailableException {
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(libraryName, Arena.global());
        } catch (IllegalArgumentException e) { // "Cannot open library: ..."
            throw new CudaUnavailableException("no NVIDIA driver library (" + libraryName + ") found",
                    CudaUnavailableException.NO_CUDA_RESULT, CudaUnavailableException.UNKNOWN_DRIVER_VERSION);
        }
        return new CudaLibrary(libraryName, lookup);
    }

    /// Looks up one symbol and makes its downcall; a missing one says which and why that matters.
    MethodHandle bind(String symbol, FunctionDescriptor descriptor) throws CudaUnavailableException {
        MemorySegment address = lookup.find(symbol).orElse(null);
        if (address == null) {
            throw new CudaUnavailableException("the NVIDIA driver library (" + libraryName + ") has no " + symbol
                    + ": the driver is older than Hearth's GPU engine needs; update the NVIDIA driver",
                    CudaUnavailableException.NO_CUDA_RESULT, CudaUnavailableException.UNKNOWN_DRIVER_VERSION);
        }
        bound.add(symbol);
        return linker.downcallHandle(address, descriptor);
    }

    String libraryName() {
        return libraryName;
    }

    /// The exported names bound, in binding order.
    List<String> boundSymbols() {
        return Collections.unmodifiableList(bound);
    }

    SymbolLookup lookup() {
        return lookup;
    }

    // ---- errors ----------------------------------------------------------------------------------------------

    /// Throws a {@link CudaException} naming `call`, its `argument` and the error when `result` is not success.
    void check(int result, String call, String argument) {
        if (result != CUDA_SUCCESS) {
            throw failure(result, call, argument, errorString(result));
        }
    }

    void check(int result, String call) {
        check(result, call, "");
    }

    /// The exception for a failed call, with a description chosen by the caller (a JIT log).
    CudaException failure(int result, String call, String argument, String description) {
        return new CudaException(call, argument, result, errorName(result), description);
    }

    /// `cuGetErrorName` (`CUDA_ERROR_OUT_OF_MEMORY`); `CUDA error N` for a code this driver does not know.
    String errorName(int result) {
        return errorText(cuGetErrorName, result);
    }

    /// `cuGetErrorString` (`out of memory`); `CUDA error N` for a code this driver does not know.
    String errorString(int result) {
        return errorText(cuGetErrorString, result);
    }

    @SuppressWarnings("restricted")
    private String errorText(MethodHandle function, int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(P);
            int rc = (int) function.invokeExact(result, out);
            MemorySegment text = out.get(P, 0);
            if (rc != CUDA_SUCCESS || text.equals(MemorySegment.NULL)) {
                return "CUDA error " + result;
            }
            return text.reinterpret(MAX_C_STRING_BYTES).getString(0);
        } catch (Throwable e) {
            throw downcallFailed("cuGetErrorName", e);
        }
    }

    private static IllegalStateException downcallFailed(String function, Throwable e) {
        // invokeExact throws only for a descriptor that does not match the call site: a bug here, not the driver.
        return new IllegalStateException("downcall " + function + " failed", e);
    }

    // ---- the driver API, one method per function, each returning the CUresult ---------------------------------

    int cuInit(int flags) {
        try {
            return (int) cuInit.invokeExact(flags);
        } catch (Throwable e) {
            throw downcallFailed("cuInit", e);
        }
    }

    int cuDriverGetVersion(MemorySegment version) {
        try {
            return (int) cuDriverGetVersion.invokeExact(version);
        } catch (Throwable e) {
            throw downcallFailed("cuDriverGetVersion", e);
        }
    }

    int cuDeviceGetCount(MemorySegment count) {
        try {
            return (int) cuDeviceGetCount.invokeExact(count);
        } catch (Throwable e) {
            throw downcallFailed("cuDeviceGetCount", e);
        }
    }

    int cuDeviceGet(MemorySegment device, int ordinal) {
        try {
            return (int) cuDeviceGet.invokeExact(device, ordinal);
        } catch (Throwable e) {
            throw downcallFailed("cuDeviceGet", e);
        }
    }

    int cuDeviceGetName(MemorySegment name, int length, int device) {
        try {
            return (int) cuDeviceGetName.invokeExact(name, length, device);
        } catch (Throwable e) {
            throw downcallFailed("cuDeviceGetName", e);
        }
    }

    int cuDeviceGetAttribute(MemorySegment value, int attribute, int device) {
        try {
            return (int) cuDeviceGetAttribute.invokeExact(value, attribute, device);
        } catch (Throwable e) {
            throw downcallFailed("cuDeviceGetAttribute", e);
        }
    }

    int cuDeviceTotalMem(MemorySegment bytes, int device) {
        try {
            return (int) cuDeviceTotalMem.invokeExact(bytes, device);
        } catch (Throwable e) {
            throw downcallFailed("cuDeviceTotalMem", e);
        }
    }

    int cuDevicePrimaryCtxRetain(MemorySegment context, int device) {
        try {
            return (int) cuDevicePrimaryCtxRetain.invokeExact(context, device);
        } catch (Throwable e) {
            throw downcallFailed("cuDevicePrimaryCtxRetain", e);
        }
    }

    int cuDevicePrimaryCtxRelease(int device) {
        try {
            return (int) cuDevicePrimaryCtxRelease.invokeExact(device);
        } catch (Throwable e) {
            throw downcallFailed("cuDevicePrimaryCtxRelease", e);
        }
    }

    int cuCtxSetCurrent(MemorySegment context) {
        try {
            return (int) cuCtxSetCurrent.invokeExact(context);
        } catch (Throwable e) {
            throw downcallFailed("cuCtxSetCurrent", e);
        }
    }

    int cuCtxSynchronize() {
        try {
            return (int) cuCtxSynchronize.invokeExact();
        } catch (Throwable e) {
            throw downcallFailed("cuCtxSynchronize", e);
        }
    }

    int cuMemAlloc(MemorySegment pointer, long bytes) {
        try {
            return (int) cuMemAlloc.invokeExact(pointer, bytes);
        } catch (Throwable e) {
            throw downcallFailed("cuMemAlloc", e);
        }
    }

    int cuMemFree(long pointer) {
        try {
            return (int) cuMemFree.invokeExact(pointer);
        } catch (Throwable e) {
            throw downcallFailed("cuMemFree", e);
        }
    }

    int cuMemAllocHost(MemorySegment pointer, long bytes) {
        try {
            return (int) cuMemAllocHost.invokeExact(pointer, bytes);
        } catch (Throwable e) {
            throw downcallFailed("cuMemAllocHost", e);
        }
    }

    int cuMemFreeHost(MemorySegment pointer) {
        try {
            return (int) cuMemFreeHost.invokeExact(pointer);
        } catch (Throwable e) {
            throw downcallFailed("cuMemFreeHost", e);
        }
    }

    int cuMemcpyHtoD(long dst, MemorySegment src, long bytes) {
        try {
            return (int) cuMemcpyHtoD.invokeExact(dst, src, bytes);
        } catch (Throwable e) {
            throw downcallFailed("cuMemcpyHtoD", e);
        }
    }

    int cuMemcpyDtoH(MemorySegment dst, long src, long bytes) {
        try {
            return (int) cuMemcpyDtoH.invokeExact(dst, src, bytes);
        } catch (Throwable e) {
            throw downcallFailed("cuMemcpyDtoH", e);
        }
    }

    int cuMemcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            return (int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream);
        } catch (Throwable e) {
            throw downcallFailed("cuMemcpyHtoDAsync", e);
        }
    }

    int cuMemcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try {
            return (int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream);
        } catch (Throwable e) {
            throw downcallFailed("cuMemcpyDtoHAsync", e);
        }
    }

    int cuMemsetD8(long dst, byte value, long count) {
        try {
            return (int) cuMemsetD8.invokeExact(dst, value, count);
        } catch (Throwable e) {
            throw downcallFailed("cuMemsetD8", e);
        }
    }

    int cuMemsetD32(long dst, int value, long count) {
        try {
            return (int) cuMemsetD32.invokeExact(dst, value, count);
        } catch (Throwable e) {
            throw downcallFailed("cuMemsetD32", e);
        }
    }

    int cuMemGetInfo(MemorySegment free, MemorySegment total) {
        try {
            return (int) cuMemGetInfo.invokeExact(free, total);
        } catch (Throwable e) {
            throw downcallFailed("cuMemGetInfo", e);
        }
    }

    int cuModuleLoadDataEx(MemorySegment module, MemorySegment image, int options, MemorySegment keys,
                           MemorySegment values) {
        try {
            return (int) cuModuleLoadDataEx.invokeExact(module, image, options, keys, values);
        } catch (Throwable e) {
            throw downcallFailed("cuModuleLoadDataEx", e);
        }
    }

    int cuModuleGetFunction(MemorySegment function, MemorySegment module, MemorySegment name) {
        try {
            return (int) cuModuleGetFunction.invokeExact(function, module, name);
        } catch (Throwable e) {
            throw downcallFailed("cuModuleGetFunction", e);
        }
    }

    int cuModuleUnload(MemorySegment module) {
        try {
            return (int) cuModuleUnload.invokeExact(module);
        } catch (Throwable e) {
            throw downcallFailed("cuModuleUnload", e);
        }
    }

    int cuFuncSetAttribute(MemorySegment function, int attribute, int value) {
        try {
            return (int) cuFuncSetAttribute.invokeExact(function, attribute, value);
        } catch (Throwable e) {
            throw downcallFailed("cuFuncSetAttribute", e);
        }
    }

    int cuLaunchKernel(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int sharedBytes, MemorySegment stream, MemorySegment params, MemorySegment extra) {
        try {
            return (int) cuLaunchKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                    sharedBytes, stream, params, extra);
        } catch (Throwable e) {
            throw downcallFailed("cuLaunchKernel", e);
        }
    }

    int cuStreamCreate(MemorySegment stream, int flags) {
        try {
            return (int) cuStreamCreate.invokeExact(stream, flags);
        } catch (Throwable e) {
            throw downcallFailed("cuStreamCreate", e);
        }
    }

    int cuStreamSynchronize(MemorySegment stream) {
        try {
            return (int) cuStreamSynchronize.invokeExact(stream);
        } catch (Throwable e) {
            throw downcallFailed("cuStreamSynchronize", e);
        }
    }

    int cuStreamDestroy(MemorySegment stream) {
        try {
            return (int) cuStreamDestroy.invokeExact(stream);
        } catch (Throwable e) {
            throw downcallFailed("cuStreamDestroy", e);
        }
    }

    int cuEventCreate(MemorySegment event, int flags) {
        try {
            return (int) cuEventCreate.invokeExact(event, flags);
        } catch (Throwable e) {
            throw downcallFailed("cuEventCreate", e);
        }
    }

    int cuEventRecord(MemorySegment event, MemorySegment stream) {
        try {
            return (int) cuEventRecord.invokeExact(event, stream);
        } catch (Throwable e) {
            throw downcallFailed("cuEventRecord", e);
        }
    }

    int cuEventSynchronize(MemorySegment event) {
        try {
            return (int) cuEventSynchronize.invokeExact(event);
        } catch (Throwable e) {
            throw downcallFailed("cuEventSynchronize", e);
        }
    }

    int cuEventElapsedTime(MemorySegment millis, MemorySegment start, MemorySegment end) {
        try {
            return (int) cuEventElapsedTime.invokeExact(millis, start, end);
        } catch (Throwable e) {
            throw downcallFailed("cuEventElapsedTime", e);
        }
    }

    int cuEventDestroy(MemorySegment event) {
        try {
            return (int) cuEventDestroy.invokeExact(event);
        } catch (Throwable e) {
            throw downcallFailed("cuEventDestroy", e);
        }
    }

    // ---- small conveniences over the out-parameters ------------------------------------------------------------

    /// `cuDriverGetVersion`: answers without `cuInit` and without a GPU (12020 = CUDA 12.2, driver R535).
    int driverVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(I);
            check(cuDriverGetVersion(out), "cuDriverGetVersion");
            return out.get(I, 0);
        }
    }
}
