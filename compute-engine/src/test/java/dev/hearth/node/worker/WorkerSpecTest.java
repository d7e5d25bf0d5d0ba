package dev.hearth.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/// The worker's command line: what the node writes is what the child reads, the device choice included.
class WorkerSpecTest {

    @Test
    void theDeviceTravelsOnTheCommandLine() {
        for (String device : new String[] {"auto", "cpu", "1"}) {
            var spec = new WorkerSpec("nano", 0.999f, 64, 32, "SIGN_1BIT", "bundled", 8, Path.of("/tmp/state"), 2,
                    0.1f, device);
            assertEquals(spec, WorkerSpec.fromArgs(spec.toArgs().toArray(String[]::new)));
            assertEquals(device, spec.device());
        }
        var old = new WorkerSpec("nano", 0.999f, 64, 32, "SIGN_1BIT", "bundled", 8, Path.of("/tmp/state"));
        assertEquals("auto", old.device(), "a spec without a device trains where auto chooses");
    }

    @Test
    void aBadDeviceFailsInTheNodeByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> new WorkerSpec("nano", 0.999f, 64, 32, "SIGN_1BIT",
                "bundled", 8, Path.of("/tmp/state"), 0, 0f, "gpu"));
        assertEquals("device 'gpu': expected auto, cpu or a GPU index (0, 1, ...)", e.getMessage());
    }
}
