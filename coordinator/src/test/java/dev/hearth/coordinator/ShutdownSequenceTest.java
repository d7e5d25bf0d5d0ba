package dev.hearth.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.service.CoordinatorService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 14, point 6: on SIGTERM the final version is read from the ledger before the shutdown closes it.
class ShutdownSequenceTest {

    @Test
    void aShutdownSignalLetsTheMainThreadReadTheLedgerBeforeItIsClosed(@TempDir Path dir) throws Exception {
        RunConfig config = RunConfig.parse("[server]\nport = 0\nhttp_port = 0\n", "stop", Map.of(
                "server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        CoordinatorService service = CoordinatorService.start(config, Clock.systemUTC());
        ShutdownSequence end = new ShutdownSequence(service);
        Thread hook = new Thread(end::onShutdownSignal, "test-shutdown-hook"); // what SIGTERM runs
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        hook.start();
        end.awaitEnd(new PrintStream(out, true, StandardCharsets.UTF_8)); // threw "database connection closed" before
        hook.join(ShutdownSequence.HOOK_WAIT.toMillis());
        assertFalse(hook.isAlive(), "the hook returns once the main thread has closed the service");
        assertEquals("Stopped at version 0.", out.toString(StandardCharsets.UTF_8).strip());
        assertThrows(RuntimeException.class, () -> service.ledger().position(), "and the service is closed");
    }
}
