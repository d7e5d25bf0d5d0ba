package dev.hearth.desktop;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class AppOptionsTest {
    @Test
    void parsesDataDirAndTour() {
        assertEquals(new AppOptions(Path.of("/tmp/h"), null), AppOptions.parse(List.of("--data-dir", "/tmp/h")));
        assertEquals(new AppOptions(Path.of("d"), Path.of("s")), AppOptions.parse(List.of("--data-dir=d", "--screenshot-tour", "s")));
        assertEquals(AppOptions.defaults(), AppOptions.parse(List.of()));
    }

    @Test
    void namesTheBadArgument() {
        assertEquals("unknown option --gpu", assertThrows(IllegalArgumentException.class, () -> AppOptions.parse(List.of("--gpu"))).getMessage());
        assertEquals("--data-dir needs a folder", assertThrows(IllegalArgumentException.class, () -> AppOptions.parse(List.of("--data-dir"))).getMessage());
    }

    @org.junit.jupiter.api.Test
    void acceptsTheRunAddressOfAClickedLink() {
        String link = "hearth://run.example.org:47470#sha256=" + "ab".repeat(32);
        assertEquals(link, AppOptions.parse(List.of(link)).runAddress());
    }
}
