package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActivationPlanTest {

    @Test
    void slotsAreAlignedDisjointAndInsideTheAllocation() {
        for (ModelConfig cfg : List.of(ModelConfig.nano(), ModelConfig.small())) {
            for (int b : new int[] {1, 3, 8}) {
                ActivationPlan plan = new ActivationPlan(cfg, b);
                List<long[]> slots = plan.slots.stream().sorted(Comparator.comparingLong(s -> s[0])).toList();
                long end = 0;
                for (long[] s : slots) {
                    assertEquals(0, s[0] % ActivationPlan.ALIGN_FLOATS, "slot at " + s[0] + " is not 256-byte aligned");
                    assertTrue(s[0] >= end, cfg.name() + " B=" + b + ": slot at " + s[0] + " overlaps the one before");
                    assertTrue(s[1] > 0, "empty slot at " + s[0]);
                    end = s[0] + s[1];
                }
                assertTrue(end <= plan.totalFloats, "the last slot runs past the allocation");
                assertEquals(plan.totalFloats * Float.BYTES, plan.bytes());
            }
        }
    }

    @Test
    void everyLayerKeepsItsOwnActivationsAndAttentionItsSquare() {
        ModelConfig cfg = ModelConfig.nano();
        int b = 2;
        ActivationPlan plan = new ActivationPlan(cfg, b);
        long n = (long) b * cfg.context();
        long att = (long) b * cfg.heads() * cfg.context() * cfg.context();
        for (int l = 0; l < cfg.layers(); l++) {
            assertEquals(att, slotSize(plan, plan.att[l]), "layer " + l + " attention probabilities (B, nh, T, T)");
            assertEquals(3 * n * cfg.dModel(), slotSize(plan, plan.qkv[l]), "layer " + l + " qkv (B, T, 3C)");
            assertEquals(4 * n * cfg.dModel(), slotSize(plan, plan.fch[l]), "layer " + l + " fch (B, T, 4C)");
        }
        assertEquals(n * cfg.vocab(), slotSize(plan, plan.logits), "logits (B, T, V)");
        assertEquals(2, slotSize(plan, plan.sumOut), "one double");
    }

    @Test
    void deviceBytesAreTheFourParameterVectorsAndTheActivations() {
        ModelConfig cfg = ModelConfig.small();
        long params = ParameterLayout.gpt(cfg).size() * (long) Float.BYTES;
        assertEquals(4 * params + new ActivationPlan(cfg, 4).bytes(), CudaLocalTrainer.deviceBytes(cfg, 4));
        assertEquals(2 * params, CudaLocalTrainer.momentBytes(cfg));
        assertTrue(CudaLocalTrainer.deviceBytes(cfg, 8) > CudaLocalTrainer.deviceBytes(cfg, 4),
                "more windows need more memory");
    }

    @Test
    void refusesMicroBatchesTheKernelsCannotCount() {
        // the GPT-2-small shape at 2048 windows: B·nh·T·T = 25.8e9 elements, beyond the kernels' 32-bit counts
        ModelConfig gpt2 = new ModelConfig("gpt2-shape", 12, 768, 12, 1024, ModelConfig.BYTE_VOCAB);
        var e = assertThrows(IllegalArgumentException.class, () -> new ActivationPlan(gpt2, 2048));
        assertTrue(e.getMessage().contains("32-bit"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ActivationPlan(ModelConfig.nano(), 0));
    }

    private static long slotSize(ActivationPlan plan, long offset) {
        return plan.slots.stream().filter(s -> s[0] == offset).findFirst().orElseThrow()[1];
    }
}
