package dev.hearth.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelConfigTest {

    /// GPT-2 small over 256 byte tokens, counted by hand from the layout's formula:
    /// wte 256·768 + wpe 1024·768 + 12 × (2·768 + 768·2304 + 2304 + 768·768 + 768 + 2·768 + 768·3072 + 3072
    /// + 3072·768 + 768) + 2·768 + 768·256.
    private static final int GPT2_SMALL_PARAMETERS = 196_608 + 786_432 + 12 * 7_087_872 + 1_536 + 196_608;

    @Test
    void gpt2SmallHasGpt2SmallsShapeOverBytes() {
        ModelConfig c = ModelConfig.gpt2Small();
        assertEquals("gpt2-small", c.name());
        assertEquals(12, c.layers());
        assertEquals(768, c.dModel());
        assertEquals(12, c.heads());
        assertEquals(64, c.headSize());
        assertEquals(1024, c.context());
        assertEquals(ModelConfig.BYTE_VOCAB, c.vocab());
    }

    @Test
    void gpt2SmallsLayoutHoldsTheHandCountedParameters() {
        assertEquals(86_235_648, GPT2_SMALL_PARAMETERS);
        assertEquals(GPT2_SMALL_PARAMETERS, ParameterLayout.gpt(ModelConfig.gpt2Small()).size());
    }

    @Test
    void nanoAndSmallKeepTheirSizes() {
        assertEquals(875_264, ParameterLayout.gpt(ModelConfig.nano()).size());
        assertEquals(10_942_464, ParameterLayout.gpt(ModelConfig.small()).size());
    }

    @Test
    void byNameKnowsEveryNameItLists() {
        for (String name : ModelConfig.NAMES) {
            assertEquals(name, ModelConfig.byName(name).name());
        }
        assertEquals(ModelConfig.gpt2Small(), ModelConfig.byName("GPT2-Small"));
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.byName("gpt2-xl"));
        assertTrue(e.getMessage().contains("known: nano, small, gpt2-small"), e.getMessage());
    }
}
