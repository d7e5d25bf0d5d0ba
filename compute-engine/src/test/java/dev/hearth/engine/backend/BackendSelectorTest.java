package dev.hearth.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.ModelConfig;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackendSelectorTest {

    @Test
    void rtx50IsTooNewInPlainWords() {
        var v = GpuSupport.verdict("NVIDIA GeForce RTX 5080", 12, 0);
        assertFalse(v.usable());
        assertEquals("NVIDIA GeForce RTX 5080 (compute capability 12.0) is newer than ND4J's CUDA build supports "
                + "(3.7–8.6 native, 8.9 via compatibility)", v.reason());
    }

    @Test
    void keplerThroughAdaAreUsable() {
        assertTrue(GpuSupport.verdict("Tesla K80", 3, 7).usable());
        assertTrue(GpuSupport.verdict("GTX 970", 5, 2).usable());
        assertTrue(GpuSupport.verdict("RTX 3080", 8, 6).usable());
        var ada = GpuSupport.verdict("RTX 4090", 8, 9);
        assertTrue(ada.usable());
        assertTrue(ada.reason().contains("compatibility"));
        assertFalse(GpuSupport.verdict("Tesla K40", 3, 5).usable());
        assertFalse(GpuSupport.verdict("H100", 9, 0).usable());
    }

    @Test
    void parsesNvidiaSmiCsvAndReportsGarbage() {
        var r = GpuProbe.parse("NVIDIA GeForce RTX 4070, 8.9, 550.54.14, 12282\nweird line\n");
        assertEquals(List.of(new GpuProbe.Gpu("NVIDIA GeForce RTX 4070", 8, 9, "550.54.14", 12282)), r.gpus());
        assertTrue(r.problem().orElseThrow().contains("weird line"));
    }

    @Test
    void probeNeverThrowsOnAMachineWithoutGpu() {
        var r = GpuProbe.probe(); // this machine has no driver: empty with a reason, not an exception
        assertTrue(!r.gpus().isEmpty() || r.problem().isPresent());
    }

    @Test
    void fallsBackToCpuAndSaysWhy() {
        var rtx5080 = new GpuProbe.Result(List.of(new GpuProbe.Gpu("RTX 5080", 12, 0, "570", 16303)), Optional.empty());
        var s = BackendSelector.select(ModelConfig.nano(), rtx5080, true);
        try (var backend = s.backend()) {
            assertTrue(s.description().contains("newer than ND4J's CUDA build supports"), s.description());
            assertTrue(s.description().contains("training on CPU"), s.description());
            assertEquals(s.description(), backend.description());
        }
        var none = BackendSelector.gpuWords(new GpuProbe.Result(List.of(), Optional.of("no NVIDIA driver found")), false);
        assertEquals("no NVIDIA driver found", none);
    }
}
