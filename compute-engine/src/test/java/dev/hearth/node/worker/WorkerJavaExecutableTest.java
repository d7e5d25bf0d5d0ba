package dev.hearth.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/// In an installed app the process command is the jpackage launcher (`/opt/hearth/bin/hearth`), so the trainer
/// worker must be started with the runtime's own `java` (installers/smoke-test.sh runs it for real).
class WorkerJavaExecutableTest {

    @Test
    void workerStartsWithTheJavaOfTheRunningRuntime() {
        Path java = Path.of(ChildProcessWorker.javaExecutable());
        Path home = Path.of(System.getProperty("java.home"));

        assertEquals(home.resolve("bin"), java.getParent());
        assertTrue(java.getFileName().toString().matches("java(\\.exe)?"), java.toString());
        assertTrue(Files.isExecutable(java), java + " is not an executable file");
    }
}
