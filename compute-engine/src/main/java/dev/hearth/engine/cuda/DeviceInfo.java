package dev.hearth.engine.cuda;

/// What the driver says about one card.
///
/// @param ordinal                     the driver's device index (0-based, in `CUDA_VISIBLE_DEVICES` order)
/// @param name                        the marketing name (`NVIDIA GeForce RTX 3060`)
/// @param ccMajor                     compute capability, major (7 = Volta/Turing, 8 = Ampere/Ada, 9 = Hopper, 12 = RTX 50)
/// @param ccMinor                     compute capability, minor
/// @param totalBytes                  device memory (`cuDeviceTotalMem`)
/// @param multiprocessors             streaming multiprocessors (SMs)
/// @param maxSharedBytesPerBlockOptin the most shared memory one block may use after
///                                    {@link CudaFunction#setMaxDynamicSharedBytes(int)} (above the default 48 KiB)
public record DeviceInfo(int ordinal, String name, int ccMajor, int ccMinor, long totalBytes, int multiprocessors,
                         int maxSharedBytesPerBlockOptin) {

    /// `8.6`.
    public String computeCapability() {
        return ccMajor + "." + ccMinor;
    }
}
