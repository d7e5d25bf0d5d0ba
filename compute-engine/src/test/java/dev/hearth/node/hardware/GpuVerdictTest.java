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
    void ampereIsUsable() {
        GpuCheck c = GpuVerdict.check(List.of(nvidia("NVIDIA GeForce RTX 3060", "8.6", 12 * GB)), -1, "");
        assertTrue(c.usable());
        assertEquals("Your NVIDIA GeForce RTX 3060 (12 GiB, compute capability 8.6) is supported by Hearth's GPU engine. "
                + "This version of Hearth still trains on your CPU; GPU training comes with a later update.", c.verdict());
    }

    @Test
    void adaIsUsableThroughBinaryCompatibility() {
        GpuCheck c = GpuVerdict.check(List.of(nvidia("NVIDIA GeForce RTX 4070", "8.9", 12 * GB)), -1, "");
        assertTrue(c.usable());
        assertTrue(c.verdict().contains("binary compatibility"), c.verdict());
    }

    @Test
    void hopperAndBlackwellAreTooNew() {
        for (String cc : List.of("9.0", "12.0", "10.0")) {
            GpuCheck c = GpuVerdict.check(List.of(nvidia("GPU " + cc, cc, 32 * GB)), -1, "");
            assertFalse(c.usable(), cc);
            assertTrue(c.verdict().contains("newer than") && c.verdict().contains("CPU"), c.verdict());
        }
    }

    @Test
    void keplerK80IsTheOldestUsableAndOlderIsNot() {
        assertTrue(GpuVerdict.check(List.of(nvidia("Tesla K80", "3.7", 12 * GB)), -1, "").usable());
        GpuCheck old = GpuVerdict.check(List.of(nvidia("GeForce GTX 780", "3.5", 3 * GB)), -1, "");
        assertFalse(old.usable());
        assertTrue(old.verdict().contains("too old"));
    }

    @Test
    void tooLittleMemoryIsExplained() {
        GpuCheck c = GpuVerdict.check(List.of(nvidia("GeForce GT 1030", "6.1", GB)), -1, "");
        assertFalse(c.usable());
        assertTrue(c.verdict().contains("1.0 GiB of memory"), c.verdict());
    }

    @Test
    void oldDriverAsksForAnUpdate() {
        GpuCheck c = GpuVerdict.check(List.of(new Card("GeForce GTX 1080", true, 8 * GB, "6.1", "418.56")), -1, "");
        assertFalse(c.usable());
        assertTrue(c.verdict().contains("newer NVIDIA driver (you have 418.56"), c.verdict());
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
        List<Card> cards = List.of(nvidia("RTX 5090", "12.0", 32 * GB), nvidia("GTX 1070", "6.1", 8 * GB), nvidia("RTX 3090", "8.6", 24 * GB));
        assertEquals("RTX 3090", GpuVerdict.check(cards, -1, "").model());
        assertEquals("GTX 1070", GpuVerdict.check(cards, 1, "").model());
        assertFalse(GpuVerdict.check(cards, 0, "").usable());
    }
}
