package dev.hearth.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivilegesTest {

    @Test
    void rootIsWarnedAboutInWordsAndAnOrdinaryUserIsNot() {
        var root = Privileges.elevatedWarning("Linux", "alice", 0);
        assertTrue(root.isPresent());
        assertTrue(root.get().startsWith("Hearth is running as root. It does not need that"), root.get());
        assertTrue(Privileges.elevatedWarning("Linux", "alice", 1000).isEmpty());
        assertTrue(Privileges.elevatedWarning("Windows 11", "Administrator", -1).get().contains("Administrator account"));
        assertTrue(Privileges.elevatedWarning("Windows 11", "alice", -1).isEmpty());
    }

    @Test
    void readsTheRealUidFromProc(@TempDir Path dir) throws Exception {
        Path status = Files.writeString(dir.resolve("status"), "Name:\tjava\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\n");
        assertEquals(1000, Privileges.uidFromProc(status));
        assertEquals(-1, Privileges.uidFromProc(dir.resolve("missing")));
    }
}
