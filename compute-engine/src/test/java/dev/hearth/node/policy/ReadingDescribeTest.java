package dev.hearth.node.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReadingDescribeTest {
    @Test
    void anIdleTimeReadsInWordsNotIso() {
        assertEquals("8 s", Reading.of(Duration.ofMillis(7995)).describe());
        assertEquals("3 min 2 s", Reading.of(Duration.ofSeconds(182)).describe());
        assertEquals("unavailable: no X display", Reading.<Duration>unavailable("no X display").describe());
    }
}
