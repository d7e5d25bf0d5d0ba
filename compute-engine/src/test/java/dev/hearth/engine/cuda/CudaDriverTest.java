package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/// What {@link CudaDriver#load()} tells the owner when it cannot train on a GPU, against the real library.
class CudaDriverTest {

    @Test
    void saysThereIsNoGpuWhenTheDriverFindsNone() {
        CudaLibrary lib = InstalledDriver.libraryOrSkip();
        Assumptions.assumeFalse(lib.cuInit(0) == CudaLibrary.CUDA_SUCCESS, "this machine has a GPU");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, CudaDriver::load);
        assertEquals("CUDA driver found but no GPU (CUDA_ERROR_NO_DEVICE)", e.getMessage());
        assertEquals(CudaLibrary.CUDA_ERROR_NO_DEVICE, e.code());
        assertEquals(lib.driverVersion(), e.driverVersion(), "the reason carries the driver's CUDA version");
    }

    @Test
    void saysThereIsNoDriverLibraryWhenItIsAbsent() {
        // The loader pointed at a library name no system has: the same path as a machine without an NVIDIA driver.
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class,
                () -> CudaDriver.load("libcuda-absent-for-hearth-tests.so.1"));
        assertEquals("no NVIDIA driver library (libcuda-absent-for-hearth-tests.so.1) found", e.getMessage());
        assertEquals(CudaUnavailableException.NO_CUDA_RESULT, e.code());
        assertEquals(CudaUnavailableException.UNKNOWN_DRIVER_VERSION, e.driverVersion());
    }
}
