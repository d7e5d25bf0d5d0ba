package dev.hearth.engine.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.cuda.CudaEmulator;
import dev.hearth.engine.cuda.CudaException;
import dev.hearth.engine.cuda.CudaLocalTrainer;
import dev.hearth.engine.cuda.CudaUnavailableException;
import dev.hearth.engine.cuda.GpuChoice.Answers;
import dev.hearth.engine.cuda.GpuChoice.Card;
import dev.hearth.engine.cuda.VramBudget;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.train.AdamW;
import dev.hearth.engine.train.HostLocalTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/// The worker's trainer choice: the decision and its words from faked driver answers, and the trainer it opens
/// (CUDA through the CPU emulator of the driver, or the CPU engine), including the out-of-memory fallbacks.
class BackendSelectorTest {

    private static final long GIB = 1L << 30;
    private static final ModelConfig SMALL = ModelConfig.small();
    private static final ModelConfig NANO = ModelConfig.nano();
    private static final int R535 = 12020;
    private static final Card GTX_1080 = new Card(0, "NVIDIA GeForce GTX 1080", 6, 1, 20, 7 * GIB, 8 * GIB);
    private static final Card RTX_3060 = new Card(1, "NVIDIA GeForce RTX 3060", 8, 6, 28, 11 * GIB, 12 * GIB);
    private static final Card RTX_4090 = new Card(2, "NVIDIA GeForce RTX 4090", 8, 9, 128, 22 * GIB, 24 * GIB);
    private static final AdamW.Settings INNER = AdamW.Settings.defaults();

    private static Answers driver(Card... cards) {
        return Answers.of(R535, Optional.of("535.309.01"), List.of(cards));
    }

    @Test
    void aUsableCardTrainsAtTheLargestMicroBatchWhoseExactAllocationFits() {
        // a card whose free memory holds micro-batch 5 and not 6, by the CUDA trainer's own allocation
        long free = VramBudget.DESKTOP_MARGIN_BYTES + BackendSelector.cudaBytes(SMALL, 5, true) + 1;
        var card = new Card(0, "NVIDIA GeForce RTX 3060", 8, 6, 28, free, 12 * GIB);
        var d = BackendSelector.decide(driver(card), DeviceSetting.AUTO, SMALL, 8, true);
        assertTrue(d.onGpu(), d.reason());
        assertEquals(5, d.microBatch());
        assertTrue(d.reason().startsWith("training on NVIDIA GeForce RTX 3060 (compute capability 8.6) at"
                + " micro-batch 5 (of 8 asked: the most that fits)"), d.reason());
        // without local steps the moments are not allocated, so the same card holds more windows
        assertTrue(BackendSelector.decide(driver(card), DeviceSetting.AUTO, SMALL, 8, false).microBatch() > 5);
    }

    @Test
    void theExactFigureIsTheTrainersAllocationPlusMomentsAndWorkspace() {
        assertEquals(CudaLocalTrainer.deviceBytes(SMALL, 4) + CudaLocalTrainer.momentBytes(SMALL)
                + VramBudget.WORKSPACE_BYTES, BackendSelector.cudaBytes(SMALL, 4, true));
        assertEquals(CudaLocalTrainer.deviceBytes(SMALL, 4) + VramBudget.WORKSPACE_BYTES,
                BackendSelector.cudaBytes(SMALL, 4, false));
    }

    @Test
    void oldDriverOldCardTooLittleMemoryTwoCardsAndForcedCpuInPlainWords() {
        var old = Answers.of(11040, Optional.of("470.256.02"), List.of(RTX_3060));
        assertEquals("driver 470 is too old to load Hearth's kernels (PTX 7.8 needs R520 or newer); training on"
                + " the CPU", BackendSelector.decide(old, DeviceSetting.AUTO, SMALL, 8, true).reason());
        var pascal = BackendSelector.decide(driver(GTX_1080), DeviceSetting.AUTO, SMALL, 8, true);
        assertFalse(pascal.onGpu());
        assertEquals("NVIDIA GeForce GTX 1080 (compute capability 6.1) is older than Hearth's GPU kernels support"
                + " (7.5 and newer); training on the CPU", pascal.reason());
        var tiny = new Card(0, "NVIDIA GeForce RTX 2060", 7, 5, 30, 600L << 20, 6 * GIB);
        var full = BackendSelector.decide(driver(tiny), DeviceSetting.AUTO, SMALL, 8, true);
        assertFalse(full.onGpu());
        assertTrue(full.reason().startsWith("only 600 MiB of 6 GiB free on NVIDIA GeForce RTX 2060; the model"
                + " needs"), full.reason());
        var two = BackendSelector.decide(driver(RTX_3060, RTX_4090), DeviceSetting.AUTO, SMALL, 8, true);
        assertEquals(2, two.card().orElseThrow().ordinal());
        assertTrue(two.reason().contains("(the one with the most multiprocessors of 2 usable cards)"), two.reason());
        var picked = BackendSelector.decide(driver(RTX_3060, RTX_4090), DeviceSetting.gpu(1), SMALL, 8, true);
        assertEquals(1, picked.card().orElseThrow().ordinal());
        assertEquals("the owner chose to train on the CPU (settings); training on the CPU",
                BackendSelector.decide(driver(RTX_4090), DeviceSetting.CPU, SMALL, 8, true).reason());
    }

    @Test
    void forcedCpuNeverTouchesTheDriver() {
        var selector = new BackendSelector(NANO, INNER, false, 1, () -> {
            throw new AssertionError("the driver was loaded although the owner chose the CPU");
        }, line -> { });
        var s = selector.select(DeviceSetting.CPU, 4);
        try (var trainer = s.trainer()) {
            assertInstanceOf(HostLocalTrainer.class, trainer);
            assertFalse(s.onGpu());
            assertTrue(s.description().startsWith("the owner chose to train on the CPU (settings); training on the"
                    + " CPU (1 of "), s.description());
            assertEquals(s.description(), trainer.description());
            assertEquals(4, s.microBatch());
        }
    }

    @Test
    void noDriverTrainsOnTheCpuWithTheDriversSentence() {
        var selector = new BackendSelector(NANO, INNER, false, 1, () -> {
            throw new CudaUnavailableException("CUDA driver found but no GPU (CUDA_ERROR_NO_DEVICE)", 100, R535);
        }, line -> { });
        var s = selector.select(DeviceSetting.AUTO, 4);
        try (var trainer = s.trainer()) {
            assertFalse(s.onGpu());
            assertTrue(s.description().startsWith("CUDA driver found but no GPU (CUDA_ERROR_NO_DEVICE); training on"
                    + " the CPU ("), s.description());
        }
    }

    @Test
    void theInstalledDriverWithoutAGpuMeansTheCpu() {
        // this machine: Debian's libcuda (R535) and no GPU, or no libcuda at all; either way the CPU, with why
        var s = new BackendSelector(NANO, INNER, false, 1, BackendSelector.INSTALLED_DRIVER, line -> { })
                .select(DeviceSetting.AUTO, 2);
        try (var trainer = s.trainer()) {
            if (!s.onGpu()) {
                assertTrue(s.description().contains("; training on the CPU ("), s.description());
            }
        }
    }

    @Test
    void aUsableEmulatedCardGetsTheCudaTrainer() {
        List<String> log = new ArrayList<>();
        var s = new BackendSelector(NANO, INNER, true, 1, CudaEmulator::driver, log::add).select(DeviceSetting.AUTO, 4);
        try (var trainer = s.trainer()) {
            assertInstanceOf(CudaLocalTrainer.class, trainer);
            assertEquals(4, s.microBatch());
            assertEquals(4, ((CudaLocalTrainer) trainer).microBatch());
            assertTrue(s.description().startsWith("training on Hearth CUDA emulator (CPU) (compute capability 7.5) at"
                    + " micro-batch 4: "), s.description());
            assertEquals(List.of(s.description()), log);
        }
    }

    @Test
    void outOfMemoryHalvesTheMicroBatchThenFallsBackToTheCpu() {
        List<String> log = new ArrayList<>();
        var selector = new BackendSelector(NANO, INNER, false, 1, CudaEmulator::driver, log::add);
        var first = selector.select(DeviceSetting.AUTO, 4);
        try {
            first.trainer().close();
            var oom = new CudaException("cuMemAlloc", "3 MiB", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
            var half = selector.afterOutOfMemory(first, oom);
            half.trainer().close();
            assertEquals(2, half.microBatch());
            assertTrue(half.description().startsWith("training on Hearth CUDA emulator (CPU) (compute capability 7.5)"
                    + " at micro-batch 2: ran out of GPU memory at micro-batch 4 (cuMemAlloc(3 MiB):"
                    + " CUDA_ERROR_OUT_OF_MEMORY"), half.description());
            var one = selector.afterOutOfMemory(half, oom);
            one.trainer().close();
            assertEquals(1, one.microBatch());
            var cpu = selector.afterOutOfMemory(one, oom);
            try (var trainer = cpu.trainer()) {
                assertInstanceOf(HostLocalTrainer.class, trainer);
                assertTrue(cpu.description().startsWith("ran out of GPU memory on Hearth CUDA emulator (CPU) (compute"
                        + " capability 7.5) even at micro-batch 1 ("), cpu.description());
                assertTrue(cpu.description().contains("; training on the CPU until the trainer restarts (1 of "),
                        cpu.description());
            }
            assertThrows(IllegalStateException.class, () -> selector.afterOutOfMemory(cpu, oom));
            assertEquals(cpu.description(), log.getLast());
        } finally {
            CudaEmulator.setMemoryLimit(0);
        }
    }

    @Test
    void outOfMemoryWhileOpeningHalvesUntilItFits() {
        List<String> log = new ArrayList<>();
        var selector = new BackendSelector(NANO, INNER, false, 1, CudaEmulator::driver, log::add);
        var first = selector.select(DeviceSetting.AUTO, 64); // the emulated card's 4 GiB hold 64 windows
        assertEquals(64, first.microBatch());
        first.trainer().close();
        // then the card holds only what 8 windows need (a game took the rest): 32 and 16 fail to open, 8 opens
        CudaEmulator.setMemoryLimit(CudaLocalTrainer.deviceBytes(NANO, 8) + (1 << 20));
        try {
            var oom = new CudaException("cuMemAlloc", "3 MiB", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
            log.clear();
            var s = selector.afterOutOfMemory(first, oom);
            try (var trainer = s.trainer()) {
                assertTrue(s.onGpu(), s.description());
                assertEquals(8, s.microBatch());
                assertEquals(8, ((CudaLocalTrainer) trainer).microBatch());
                assertTrue(s.description().contains("at micro-batch 8: ran out of GPU memory opening micro-batch 16 ("
                        + "cuMemAlloc("), s.description());
                assertEquals(4, log.size(), String.join("\n", log)); // 64 → 32, 32 → 16, 16 → 8, then the choice
            }
        } finally {
            CudaEmulator.setMemoryLimit(0);
        }
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
    void theCpuEngineSaysWhatItRunsOn() {
        var s = BackendSelector.select(NANO, 1);
        try (var backend = s.backend()) {
            assertTrue(s.description().startsWith("training on the CPU (1 of "), s.description());
            assertEquals(s.description(), backend.description());
        }
    }

    @Test
    void deviceSettingsReadBackAndRejectNonsense() {
        assertEquals(DeviceSetting.AUTO, DeviceSetting.parse("auto"));
        assertEquals(DeviceSetting.CPU, DeviceSetting.parse(" CPU "));
        assertEquals(DeviceSetting.gpu(1), DeviceSetting.parse("1"));
        for (String s : List.of("auto", "cpu", "3")) {
            assertEquals(s, DeviceSetting.parse(s).toString());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceSetting.parse("gpu"));
        assertEquals("device 'gpu': expected auto, cpu or a GPU index (0, 1, ...)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DeviceSetting.parse("-1"));
    }

    @Test
    void nvidiaSmisFailureReadsAsOneClauseWithoutItsFullStop() {
        String out = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the"
                + " latest NVIDIA driver is installed and running.\n\n";
        String said = GpuProbe.failed(out) + "; training on the CPU";
        assertFalse(said.contains(".;"), said);
        assertTrue(said.startsWith("nvidia-smi failed: NVIDIA-SMI has failed"), said);
        assertTrue(said.endsWith("installed and running; training on the CPU"), said);
    }
}
