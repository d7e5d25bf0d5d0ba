package dev.hearth.engine.cuda;

/// This machine cannot train on an NVIDIA GPU, with the reason as a sentence for the card's owner:
/// "no NVIDIA driver library (libcuda.so.1) found", "CUDA driver found but no GPU (CUDA_ERROR_NO_DEVICE)".
///
/// Checked, unlike {@link CudaException}: not having a GPU is the ordinary case on most volunteers' machines,
/// and every caller of {@link CudaDriver#load()} must decide what to do instead (train on the CPU, and say why).
public final class CudaUnavailableException extends Exception {

    /// {@link #code()} when no CUDA call got as far as answering (the library is absent or incomplete).
    public static final int NO_CUDA_RESULT = -1;
    /// {@link #driverVersion()} when the library could not be asked.
    public static final int UNKNOWN_DRIVER_VERSION = 0;

    private final int code;
    private final int driverVersion;

    /// @param reason        the sentence for the owner
    /// @param code          the `CUresult` that decided it, or {@link #NO_CUDA_RESULT}
    /// @param driverVersion `cuDriverGetVersion`'s answer (12020 = CUDA 12.2), or {@link #UNKNOWN_DRIVER_VERSION}
    public CudaUnavailableException(String reason, int code, int driverVersion) {
        super(reason);
        this.code = code;
        this.driverVersion = driverVersion;
    }

    /// The `CUresult` that decided it (100 = `CUDA_ERROR_NO_DEVICE`), or {@link #NO_CUDA_RESULT}.
    public int code() {
        return code;
    }

    /// The CUDA version the installed driver supports (`1000 * major + 10 * minor`), or
    /// {@link #UNKNOWN_DRIVER_VERSION} when the library could not be asked.
    public int driverVersion() {
        return driverVersion;
    }
}
