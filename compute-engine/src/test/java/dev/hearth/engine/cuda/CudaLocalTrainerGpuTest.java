package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hearth.engine.model.ModelConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/// {@link CudaLocalTrainer} on a real NVIDIA GPU against the CPU engine, for `nano` and `small` (fp32 path: loss
/// within 1e-5 relative, each tensor's max |Δ| within 1e-4 of its max). Skipped when the driver library or a GPU
/// is absent. Excluded from the default run (tag `gpu`); on a machine with a card:
/// `./mvnw -B -pl compute-engine -am test -Dtest=CudaLocalTrainerGpuTest -Dhearth.excludedGroups=none
/// -Dsurefire.failIfNoSpecifiedTests=false`.
@Tag("gpu")
class CudaLocalTrainerGpuTest {

    /// Windows per micro-batch: small enough for any card, large enough that every kernel runs several blocks.
    private static final int MICRO_BATCH = 4;
    /// The trajectory check: 50 inner AdamW steps.
    private static final int ADAMW_STEPS = 50;

    private static CudaDriver driver;

    @BeforeAll
    static void loadDriver() {
        try {
            driver = CudaDriver.load();
        } catch (CudaUnavailableException e) {
            assumeTrue(false, "no usable CUDA GPU: " + e.getMessage());
        }
        assumeTrue(driver.deviceCount() > 0, "the CUDA driver reports no device");
    }

    @Test
    void nanoGradientMatchesTheCpuEngineAndTheReference() {
        CudaParity.gradientMatchesCpu(driver, ModelConfig.nano(), MICRO_BATCH, true);
    }

    @Test
    void smallGradientMatchesTheCpuEngine() {
        CudaParity.gradientMatchesCpu(driver, ModelConfig.small(), MICRO_BATCH, false);
    }

    @Test
    void weightedMicroBatchesOfChangingSizeAccumulateAsOnTheCpu() {
        CudaParity.weightedAccumulationMatchesCpu(driver, ModelConfig.nano(), MICRO_BATCH);
    }

    @Test
    void fiftyAdamWStepsTrackTheCpuRunOnNano() {
        CudaParity.adamwStepsTrackCpu(driver, ModelConfig.nano(), MICRO_BATCH, ADAMW_STEPS);
    }

    @Test
    void fiftyAdamWStepsTrackTheCpuRunOnSmall() {
        CudaParity.adamwStepsTrackCpu(driver, ModelConfig.small(), MICRO_BATCH, ADAMW_STEPS);
    }

    @Test
    void twoIdenticalRunsGiveIdenticalBytes() {
        CudaParity.identicalRunsGiveIdenticalBytes(driver, ModelConfig.small(), MICRO_BATCH);
    }

    @Test
    void restoredOptimizerStateContinuesTheRun() {
        CudaParity.restoredOptimizerStateContinuesTheRun(driver, ModelConfig.nano(), MICRO_BATCH);
    }
}
