package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ModelConfig;
import org.junit.jupiter.api.Test;

/// {@link CudaLocalTrainer} and every kernel, run on the CPU emulator of the CUDA driver (`libcudaemu.so`, the
/// kernels' CUDA source compiled as host C++ with one fiber per GPU thread), against the CPU engine with the GPU
/// test's bounds. This checks the launch sequence, offsets, strides, launch shapes, barriers and shuffles without
/// a GPU; what only a card can show (the driver's PTX JIT, timing, real concurrency, the card's fma rounding) is
/// {@link CudaLocalTrainerGpuTest}'s.
class CudaLocalTrainerEmulatorTest {

    /// 2 layers, d 64, 2 heads (hs 32), context 72: every matrix has partial 64×64 tiles (72 rows a window,
    /// 3C = 192 and 4C = 256 columns), and attention rows cross the warp's 32 lanes. Small enough to emulate
    /// quickly.
    static final ModelConfig EMU = new ModelConfig("emu", 2, 64, 2, 72, ModelConfig.BYTE_VOCAB);
    /// The CPU engine's own finite-difference config (2 layers, d 16, 2 heads, context 8).
    static final ModelConfig TINY = new ModelConfig("tiny", 2, 16, 2, 8, ModelConfig.BYTE_VOCAB);
    private static final int MICRO_BATCH = 2;

    @Test
    void gradientMatchesTheCpuEngineAndTheReference() {
        CudaParity.gradientMatchesCpu(CudaEmulator.driver(), EMU, MICRO_BATCH, true);
    }

    @Test
    void tinyGradientMatchesTheCpuEngineAndTheReference() {
        CudaParity.gradientMatchesCpu(CudaEmulator.driver(), TINY, 3, true);
    }

    @Test
    void nanoGradientMatchesTheCpuEngine() {
        CudaParity.gradientMatchesCpu(CudaEmulator.driver(), ModelConfig.nano(), 1, false);
    }

    @Test
    void weightedMicroBatchesOfChangingSizeAccumulateAsOnTheCpu() {
        CudaParity.weightedAccumulationMatchesCpu(CudaEmulator.driver(), EMU, MICRO_BATCH);
    }

    @Test
    void adamwStepsTrackTheCpuRun() {
        CudaParity.adamwStepsTrackCpu(CudaEmulator.driver(), TINY, MICRO_BATCH, 50);
    }

    @Test
    void twoIdenticalRunsGiveIdenticalBytes() {
        CudaParity.identicalRunsGiveIdenticalBytes(CudaEmulator.driver(), EMU, MICRO_BATCH);
    }

    @Test
    void restoredOptimizerStateContinuesTheRun() {
        CudaParity.restoredOptimizerStateContinuesTheRun(CudaEmulator.driver(), TINY, MICRO_BATCH);
    }

    @Test
    void tooLargeAMicroBatchIsAnOutOfMemoryCudaException() {
        // nano at 1024 windows needs ~5 GiB of activations; the emulated card has 4 GiB
        var e = assertThrows(CudaException.class,
                () -> CudaLocalTrainer.open(CudaEmulator.driver(), 0, ModelConfig.nano(), 1024, CudaParity.INNER));
        assertTrue(e.isOutOfMemory(), e.getMessage());
    }
}
