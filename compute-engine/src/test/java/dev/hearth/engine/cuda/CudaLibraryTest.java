package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/// The FFM binding against the real `libcuda.so.1` installed here (Debian's `libcuda1`, R535): no fake library.
/// Without a GPU the driver still loads, answers its version and names its errors, and `cuInit` says why it
/// cannot run. Skipped where the library is absent.
class CudaLibraryTest {

    /// Every driver function Hearth's GPU engine calls (issue 13), by its exported name.
    private static final List<String> REQUIRED = List.of("cuInit", "cuDriverGetVersion", "cuDeviceGetCount",
            "cuDeviceGet", "cuDeviceGetName", "cuDeviceGetAttribute", "cuDeviceTotalMem_v2",
            "cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRelease_v2", "cuCtxSetCurrent", "cuCtxSynchronize",
            "cuMemAlloc_v2", "cuMemFree_v2", "cuMemAllocHost_v2", "cuMemFreeHost", "cuMemcpyHtoD_v2",
            "cuMemcpyDtoH_v2", "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2", "cuMemsetD32_v2", "cuMemGetInfo_v2",
            "cuModuleLoadDataEx", "cuModuleGetFunction", "cuModuleUnload", "cuFuncSetAttribute", "cuLaunchKernel",
            "cuStreamCreate", "cuStreamSynchronize", "cuStreamDestroy_v2", "cuEventCreate", "cuEventRecord",
            "cuEventSynchronize", "cuEventElapsedTime", "cuEventDestroy_v2", "cuGetErrorName", "cuGetErrorString");

    @Test
    void bindsEveryDriverFunctionTheEngineCalls() {
        CudaLibrary lib = InstalledDriver.libraryOrSkip();
        assertTrue(lib.boundSymbols().containsAll(REQUIRED),
                "not bound: " + REQUIRED.stream().filter(s -> !lib.boundSymbols().contains(s)).toList());
        for (String symbol : lib.boundSymbols()) {
            assertTrue(lib.lookup().find(symbol).isPresent(), symbol + " is not exported by " + lib.libraryName());
        }
    }

    @Test
    void aMissingSymbolFailsAtLoadNamingIt() {
        CudaLibrary lib = InstalledDriver.libraryOrSkip();
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> lib.bind("cuNoSuchFunction_v9", FunctionDescriptor.of(ValueLayout.JAVA_INT)));
        assertEquals("the NVIDIA driver library (" + lib.libraryName() + ") has no cuNoSuchFunction_v9: the driver"
                + " is older than Hearth's GPU engine needs; update the NVIDIA driver", e.getMessage());
    }

    @Test
    void cuInitAnswersNoDeviceWithoutAGpu() {
        CudaLibrary lib = InstalledDriver.libraryOrSkip();
        int rc = lib.cuInit(0);
        Assumptions.assumeFalse(rc == CudaLibrary.CUDA_SUCCESS, "this machine has a GPU");
        assertEquals(CudaLibrary.CUDA_ERROR_NO_DEVICE, rc, lib.errorName(rc));
    }

    @Test
    void answersTheDriverVersionWithoutAGpu() throws Exception {
        CudaLibrary lib = InstalledDriver.libraryOrSkip();
        int version = lib.driverVersion();
        // 1000 * major + 10 * minor, and Hearth's PTX (ISA 7.8) needs CUDA 11.8 at least to load anyway.
        assertTrue(version >= 10000 && version % 10 == 0, "cuDriverGetVersion answered " + version);
        Path real = Path.of("/usr/lib/x86_64-linux-gnu", CudaLibrary.LINUX_LIBRARY);
        if (Files.exists(real) && real.toRealPath().getFileName().toString().contains(".535.")) {
            assertEquals(12020, version, "Debian's R535 libcuda1 supports CUDA 12.2");
        }
    }

    @Test
    void namesTheErrorsHearthReportsByTheirCudaNames() {
        CudaLibrary lib = InstalledDriver.libraryOrSkip();
        assertEquals("CUDA_SUCCESS", lib.errorName(0));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", lib.errorName(2));
        assertEquals("CUDA_ERROR_NO_DEVICE", lib.errorName(100));
        assertEquals("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", lib.errorName(222));
        assertEquals("out of memory", lib.errorString(2));
        assertEquals("CUDA error 987654", lib.errorName(987654));
    }

    @Test
    void aFailedCallNamesTheCallItsSizeAndTheCudaError() {
        CudaLibrary lib = InstalledDriver.libraryOrSkip();
        CudaException e = assertThrows(CudaException.class,
                () -> lib.check(CudaLibrary.CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc", ByteSize.format(512L << 20)));
        assertEquals("cuMemAlloc(512 MiB): CUDA_ERROR_OUT_OF_MEMORY (out of memory)", e.getMessage());
        assertEquals("cuMemAlloc", e.call());
        assertEquals(2, e.code());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertTrue(e.isOutOfMemory());
    }

    @Test
    void aRealCallThatFailsWithoutAGpuIsReportedWithItsCudaName() {
        CudaLibrary lib = InstalledDriver.libraryOrSkip();
        Assumptions.assumeFalse(lib.cuInit(0) == CudaLibrary.CUDA_SUCCESS, "this machine has a GPU");
        try (Arena arena = Arena.ofConfined()) {
            // cuInit failed, so the driver refuses every device call: a real downcall, out-parameter included.
            int rc = lib.cuMemAlloc(arena.allocate(ValueLayout.JAVA_LONG), 1024);
            CudaException e = assertThrows(CudaException.class,
                    () -> lib.check(rc, "cuMemAlloc", ByteSize.format(1024)));
            assertEquals("cuMemAlloc(1 KiB): CUDA_ERROR_NOT_INITIALIZED (" + lib.errorString(rc) + ")",
                    e.getMessage());
            assertFalse(e.isOutOfMemory());
        }
    }
}
