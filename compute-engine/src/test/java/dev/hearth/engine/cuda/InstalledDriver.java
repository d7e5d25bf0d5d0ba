package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;

/// The real driver library installed on this machine, or a skipped test where there is none (a CI image without
/// Debian's `libcuda1`). A library that is present but lacks a symbol fails the test instead: that is a finding.
final class InstalledDriver {

    private InstalledDriver() {
    }

    static CudaLibrary libraryOrSkip() {
        try {
            return CudaLibrary.open(CudaLibrary.defaultLibraryName());
        } catch (CudaUnavailableException e) {
            assertTrue(e.getMessage().startsWith("no NVIDIA driver library"), e.getMessage());
            Assumptions.abort(e.getMessage() + "; install libcuda1 (Debian's nvidia-cuda-toolkit) to run this test");
            throw new AssertionError("unreachable");
        }
    }

    /// A loaded driver with at least one GPU, or a skipped test.
    static CudaDriver driverWithGpuOrSkip() {
        try {
            CudaDriver driver = CudaDriver.load();
            Assumptions.assumeTrue(driver.deviceCount() > 0, "the driver reports no device");
            return driver;
        } catch (CudaUnavailableException e) {
            Assumptions.abort("no GPU here: " + e.getMessage());
            throw new AssertionError("unreachable");
        }
    }
}
