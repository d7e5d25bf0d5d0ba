package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/// Builds (once per JVM, and only when a source changed since the last build) and loads `libcudaemu.so`, the CPU
/// emulator of the CUDA driver API in `src/main/cuda/emu` that runs Hearth's kernels as host C++, through the
/// real FFM binding ({@link CudaDriver#load(String)}). Tests that use it are skipped where g++ is absent.
final class CudaEmulator {

    /// g++ builds the emulator in ~10 s on one core; a machine that takes 5 minutes is broken, not slow.
    private static final long BUILD_TIMEOUT_MINUTES = 5;

    private static CudaDriver driver;

    private CudaEmulator() {
    }

    static synchronized CudaDriver driver() {
        if (driver == null) {
            assumeTrue(onPath("g++"), "g++ is absent: the CUDA emulator cannot be built");
            Path script = Path.of("src/main/cuda/emu/build-emu.sh").toAbsolutePath();
            Path out = Path.of("target/cuda-emu").toAbsolutePath();
            try {
                Process p = new ProcessBuilder("bash", script.toString(), out.toString()).redirectErrorStream(true)
                        .start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    throw new AssertionError("building the CUDA emulator failed:\n" + log);
                }
                driver = CudaDriver.load(out.resolve("libcudaemu.so").toString());
            } catch (IOException e) {
                throw new AssertionError("building the CUDA emulator: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while building the CUDA emulator", e);
            } catch (CudaUnavailableException e) {
                throw new AssertionError("the CUDA emulator did not load: " + e.getMessage(), e);
            }
        }
        return driver;
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, exe))) {
                return true;
            }
        }
        return false;
    }
}
