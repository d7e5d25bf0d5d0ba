package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class VramBudgetTest {

    private static final ModelConfig NANO = ModelConfig.nano();
    private static final ModelConfig SMALL = ModelConfig.small();

    @Test
    void keepsFiveCopiesOfTheParameters() {
        // θ, gradient, AdamW m and v, θ at the round's start.
        assertEquals(5L * 4 * ParameterLayout.gpt(NANO).size(), VramBudget.stateBytes(NANO));
    }

    @Test
    void countsTheCpuEnginesBuffersForOneNanoWindow() {
        // nano: L 4, C 128, nh 4, T 128, V 256; one window: n = 128 positions.
        long n = 128;
        long c = 128;
        long att = 4 * 128 * 128;                              // (1, nh, T, T)
        long perLayer = 16 * n * c + 4 * n + att;
        long floats = n * c + 4 * perLayer + (n * c + 2 * n) + n * 256 + 10 * n * c + att;
        assertEquals((floats + 2 * n) * 4, VramBudget.activationBytes(NANO, 1));
        assertEquals(6_432_768, VramBudget.activationBytes(NANO, 1));
    }

    @Test
    void activationsGrowInProportionToTheMicroBatch() {
        assertEquals(8 * VramBudget.activationBytes(SMALL, 1), VramBudget.activationBytes(SMALL, 8));
    }

    @Test
    void picksTheLargestMicroBatchUnderFreeMemoryLessTheDesktopMargin() {
        long free = VramBudget.bytes(SMALL, 7) + VramBudget.DESKTOP_MARGIN_BYTES;
        assertEquals(OptionalInt.of(7), VramBudget.largestMicroBatch(SMALL, free, 64));
        assertEquals(OptionalInt.of(6), VramBudget.largestMicroBatch(SMALL, free - 1, 64));
        assertEquals(OptionalInt.of(4), VramBudget.largestMicroBatch(SMALL, free, 4), "never above the one asked");
    }

    @Test
    void saysNothingFitsWhenOneWindowDoesNot() {
        long free = VramBudget.bytes(SMALL, 1) + VramBudget.DESKTOP_MARGIN_BYTES - 1;
        assertEquals(OptionalInt.empty(), VramBudget.largestMicroBatch(SMALL, free, 8));
    }

    @Test
    void aGpt2SmallShapeNeedsAboutAGigabyteAndAHalfPerWindow() {
        ModelConfig gpt2 = new ModelConfig("gpt2-small-shape", 12, 768, 12, 1024, ModelConfig.BYTE_VOCAB);
        long perWindow = VramBudget.activationBytes(gpt2, 1);
        // 12 layers × (16·T·C + nh·T²) floats ≈ 12 × (12.6M + 12.6M) × 4 B ≈ 1.2 GB, plus the rest.
        assertTrue(perWindow > 1_200_000_000L && perWindow < 1_500_000_000L, ByteSize.format(perWindow));
        assertTrue(VramBudget.stateBytes(gpt2) > 1_600_000_000L, ByteSize.format(VramBudget.stateBytes(gpt2)));
    }
}
