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

    @Test
    void theCpuLimitTravelsOnTheCommandLineSoAChangedLimitIsANewSpec() {
        var limited = new WorkerSpec("nano", 0.999f, 64, 32, "SIGN_1BIT", "bundled", 8, Path.of("/tmp/state"), 0, 0f,
                "cpu", 1, 50);
        var back = WorkerSpec.fromArgs(limited.toArgs().toArray(String[]::new));
        assertEquals(limited, back);
        assertEquals(1, back.cpuThreads());
        assertEquals(50, back.cpuPercent());
        var unlimited = new WorkerSpec("nano", 0.999f, 64, 32, "SIGN_1BIT", "bundled", 8, Path.of("/tmp/state"), 0, 0f,
                "cpu");
        assertEquals(100, unlimited.cpuPercent());
        // the node replaces its worker when the spec differs: a new limit restarts the trainer for the next round
        org.junit.jupiter.api.Assertions.assertNotEquals(unlimited, limited);
        var e = assertThrows(IllegalArgumentException.class, () -> new WorkerSpec("nano", 0.999f, 64, 32, "SIGN_1BIT",
                "bundled", 8, Path.of("/tmp/state"), 0, 0f, "cpu", 1, 0));
        assertEquals("CPU percentage must be in [1, 100], got 0", e.getMessage());
    }
}
