package dev.hearth.node.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class DataDirLockTest {

    @TempDir Path dir;

    @Test
    void secondNodeInTheSameProcessIsRefused() throws Exception {
        DataDirLock first = DataDirLock.acquire(dir);
        try {
            var e = assertThrows(DataDirs.DataDirException.class, () -> DataDirLock.acquire(dir));
            assertTrue(e.getMessage().contains("another Hearth node is already using it (pid " + ProcessHandle.current().pid() + ")"),
                    e.getMessage());
        } finally {
            first.close();
        }
        DataDirLock.acquire(dir).close();
    }

    /// Holds the lock until killed.
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            DataDirLock.acquire(Path.of(args[0]));
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anotherProcessIsNamedAndItsCrashFreesTheLock() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            var e = assertThrows(DataDirs.DataDirException.class, () -> DataDirLock.acquire(dir));
            assertTrue(e.getMessage().contains("(pid " + child.pid() + ")"), e.getMessage());
        } finally {
            child.destroyForcibly(); // SIGKILL: no chance to release; the OS must
            child.waitFor(20, TimeUnit.SECONDS);
        }
        DataDirLock.acquire(dir).close();
    }
}
