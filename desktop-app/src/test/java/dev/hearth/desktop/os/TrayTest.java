package dev.hearth.desktop.os;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TrayTest {
    @Test
    void theMenuOffersResumeWhenPausedAndPauseOtherwiseNeverBoth() {
        assertEquals("Pause", Tray.label(false));
        assertEquals("Resume", Tray.label(true));
    }
}
