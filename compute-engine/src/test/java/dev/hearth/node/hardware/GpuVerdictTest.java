package dev.hearth.node.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.hardware.GpuVerdict.Card;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuVerdictTest {
    private static final long GB = 1L << 30;

    private static Card nvidia(String model, String cc, long vram) {
        return new Card(model, true, vram, cc, "550.54.14");
    }

    @Test
    void noGpuMeansTheCpuEngine() {
        GpuCheck c = GpuVerdict.check(List.of(), -1, "no NVIDIA driver");
        assertFalse(c.usable());
        assertEquals("no NVIDIA GPU found", c.model());
        assertEquals("No NVIDIA GPU found — Hearth will train on your CPU (slower, still useful).", c.verdict());
    }

    @Test
    void ampereIsUsableAndTheScreenSaysNothingWasMeasuredYet() {
        GpuCheck c = GpuVerdict.check(List.of(nvidia("NVIDIA GeForce RTX 3060", "8.6", 12 * GB)), -1, "");
        assertTrue(c.usable());
        assertEquals("Your NVIDIA GeForce RTX 3060 (12 GiB, compute capability 8.6) can run Hearth's GPU engine. "
                + "Hearth trains on it whenever it has enough free memory for the run's model (otherwise on the CPU,"
                + " saying why). This GPU engine is new and has not yet been measured on a real card.", c.verdict());
    }

    @Test
    void turingThroughBlackwellAreUsableThroughThePtx() {
        for (String cc : List.of("7.5", "8.0", "8.9", "9.0", "10.0", "12.0")) {
            GpuCheck c = GpuVerdict.check(List.of(nvidia("GPU " + cc, cc, 16 * GB)), -1, "");
            assertTrue(c.usable(), cc + ": " + c.verdict());
        }
    }

    @Test
    void voltaAndOlderAreTooOld() {
        for (String cc : List.of("7.0", "6.1", "3.7")) {
            GpuCheck c = GpuVerdict.check(List.of(nvidia("GPU " + cc, cc, 16 * GB)), -1, "");
            assertFalse(c.usable(), cc);
            assertTrue(c.verdict().contains("too old for Hearth's GPU engine (compute capability " + cc
                    + "; it needs 7.5 or newer)"), c.verdict());
        }
    }

    @Test
    void theOwnersCpuChoiceIsSaid() {
        GpuCheck c = GpuVerdict.check(List.of(nvidia("NVIDIA GeForce RTX 3060", "8.6", 12 * GB)),
                dev.hearth.node.api.NodeSettings.GPU_INDEX_CPU, "");
        assertFalse(c.usable());
        assertEquals("You chose to train on the CPU (settings); Hearth leaves the GPU alone.", c.verdict());
    }

    @Test
    void tooLittleMemoryIsExplained() {
        GpuCheck c = GpuVerdict.check(List.of(nvidia("GeForce GTX 1650", "7.5", GB)), -1, "");
        assertFalse(c.usable());
        assertTrue(c.verdict().contains("1.0 GiB of memory"), c.verdict());
    }

    @Test
    void oldDriverAsksForAnUpdate() {
        GpuCheck c = GpuVerdict.check(List.of(new Card("GeForce RTX 2080", true, 8 * GB, "7.5", "515.105.01")), -1, "");
        assertFalse(c.usable());
        assertTrue(c.verdict().contains("newer NVIDIA driver (you have 515.105.01, Hearth needs 520 or newer)"),
                c.verdict());
    }

    @Test
    void nvidiaCardWithoutDriverSaysWhy() {
        GpuCheck c = GpuVerdict.check(List.of(new Card("NVIDIA GeForce RTX 3080", true, 10 * GB, "", "")), -1, "no NVIDIA driver");
        assertFalse(c.usable());
        assertTrue(c.verdict().contains("(no NVIDIA driver)") && c.verdict().contains("CPU"), c.verdict());
    }

    @Test
    void otherVendorsAreNamed() {
        GpuCheck c = GpuVerdict.check(List.of(new Card("AMD Radeon RX 6800", false, 16 * GB, "", "")), -1, "");
        assertFalse(c.usable());
        assertTrue(c.verdict().startsWith("Your AMD Radeon RX 6800 is not supported"), c.verdict());
    }

    @Test
    void automaticPicksTheBestUsableCardAndTheOwnersChoiceWins() {
        List<Card> cards = List.of(nvidia("GTX 1070", "6.1", 8 * GB), nvidia("RTX 5090", "12.0", 32 * GB), nvidia("RTX 3090", "8.6", 24 * GB));
        assertEquals("RTX 5090", GpuVerdict.check(cards, -1, "").model());
        assertEquals("RTX 3090", GpuVerdict.check(cards, 2, "").model());
        assertFalse(GpuVerdict.check(cards, 0, "").usable());
    }
}
