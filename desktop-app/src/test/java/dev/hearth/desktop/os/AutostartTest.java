package dev.hearth.desktop.os;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutostartTest {
    @TempDir Path dir;

    @Test
    void writesAnXdgEntryWithAQuotedExecLine() throws Exception {
        var a = new Autostart(dir, List.of("/opt/My Apps/java", "-cp", "a.jar:b.jar", "dev.hearth.desktop.Launcher"));
        a.apply(true);
        var entry = Autostart.parse(Files.readString(dir.resolve(Autostart.FILE_NAME)));
        assertEquals("Application", entry.get("Type"));
        assertEquals("\"/opt/My Apps/java\" -cp a.jar:b.jar dev.hearth.desktop.Launcher", entry.get("Exec"));
        a.apply(false);
        assertFalse(Files.exists(dir.resolve(Autostart.FILE_NAME)));
    }

    @Test
    void explainsWhereThereIsNoXdgAutostart() throws Exception {
        var a = new Autostart(null, List.of("hearth"));
        assertFalse(a.supported());
        assertTrue(a.apply(true).contains("Login Items"));
    }
}
