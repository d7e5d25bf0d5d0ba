package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NodeTextTest {

    static final String R = String.valueOf(NodeText.REPLACEMENT);

    @Test
    void keepsCleanTextAsItIs() {
        String device = "NVIDIA GeForce RTX 3060 — 12 GB, ünïcødé 日本語 🚀";
        assertEquals(device, NodeText.clean(device, NodeText.MAX_DEVICE_CHARS));
    }

    @Test
    void replacesNewlinesAndOtherControlCharactersSoNoFakeLineCanStart() {
        assertEquals("cpu" + R + "[main] INFO fake" + R + R + "x" + R + "y",
                NodeText.clean("cpu\n[main] INFO fake\r\tx\u0000y", 100));
    }

    @Test
    void replacesAnEscapeSequenceAsAWholeLeavingNoRemnant() {
        assertEquals("GPU" + R + "RED" + R, NodeText.clean("GPU\u001b[1;31mRED\u001b[0m", 100));
        assertEquals("a" + R + "b", NodeText.clean("a\u001b]0;window title\u0007b", 100), "OSC ended by BEL");
        assertEquals("a" + R + "b", NodeText.clean("a\u001b]8;;http://x\u001b\\b", 100), "OSC ended by ST");
        assertEquals("a" + R + "b", NodeText.clean("a\u009b2Jb", 100), "8-bit CSI");
        assertEquals("a" + R + "b", NodeText.clean("a\u001bcb", 100), "two-character escape");
        assertEquals("a" + R, NodeText.clean("a\u001b[12", 100), "unterminated");
    }

    @Test
    void replacesBidiOverridesAndLoneSurrogates() {
        assertEquals("a" + R + "b" + R, NodeText.clean("a\u202Eb\uD800", 100));
    }

    @Test
    void capsLengthInCodePointsAndMarksTheCut() {
        String cut = NodeText.clean("x".repeat(30_000), NodeText.MAX_BACKEND_CHARS);
        assertEquals("x".repeat(NodeText.MAX_BACKEND_CHARS) + NodeText.ELLIPSIS, cut);
        String emoji = NodeText.clean("🚀".repeat(10), 3);
        assertEquals("🚀🚀🚀" + NodeText.ELLIPSIS, emoji, "a surrogate pair is never split");
        assertEquals("abc", NodeText.clean("abc", 3), "exactly at the cap is not cut");
    }

    @Test
    void aDirtyStringNeverEqualsTheCleanOneItResembles() {
        assertNotEquals("hostile", NodeText.clean("hostile\n", NodeText.MAX_RUN_ID_CHARS));
        assertNotEquals("hostile", NodeText.clean("hostile\u001b[0m", NodeText.MAX_RUN_ID_CHARS));
        assertEquals("hostile", NodeText.clean("hostile", NodeText.MAX_RUN_ID_CHARS));
    }

    @Test
    void nullIsEmptyAndAZeroCapIsAnError() {
        assertEquals("", NodeText.clean(null, 5));
        assertThrows(IllegalArgumentException.class, () -> NodeText.clean("a", 0));
        assertFalse(NodeText.clean("\u001b[2J\u001b[H", 10).chars().anyMatch(Character::isISOControl));
        assertTrue(NodeText.clean("\u001b[2J\u001b[H", 10).chars().allMatch(c -> c == NodeText.REPLACEMENT));
    }
}
