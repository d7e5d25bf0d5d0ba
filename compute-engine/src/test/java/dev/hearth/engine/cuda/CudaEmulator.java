package dev.hearth.engine.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/// Builds (once per JVM, and only when a source changed since the last build) and loads `libcudaemu.so`, the CPU
/// emulator of the CUDA driver API in `src/main/cuda/emu` that runs Hearth's kernels as host C++, through the
/// real FFM binding ({@link CudaDriver#load(String)}). Tests that use it are skipped where g++ is absent.
/// Public for the trainer worker's tests (`dev.hearth.node.worker`), which run the whole round through it.
public final class CudaEmulator {

    /// g++ builds the emulator in ~10 s on one core; a machine that takes 5 minutes is broken, not slow.
    private static final long BUILD_TIMEOUT_MINUTES = 5;

    private static CudaDriver driver;
    private static Path library;

    private CudaEmulator() {
    }

    public static synchronized CudaDriver driver() {
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
                library = out.resolve("libcudaemu.so");
                driver = CudaDriver.load(library.toString());
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

    /// Makes the emulated card `bytes` large (free memory is that less what is allocated), so that
    /// `cuMemAlloc` answers CUDA_ERROR_OUT_OF_MEMORY beyond it; 0 restores the default (4 GiB, or
    /// `HEARTH_CUDA_EMU_MEMORY`). Through the emulator's own `hearth_emu_set_memory_limit`, not a driver symbol.
    public static synchronized void setMemoryLimit(long bytes) {
        driver();
        try {
            emulatorCall("hearth_emu_set_memory_limit", FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG))
                    .invokeExact(bytes);
        } catch (Throwable t) {
            throw new AssertionError("hearth_emu_set_memory_limit(" + bytes + "): " + t, t);
        }
    }

    /// Device bytes the emulator holds allocated now.
    public static synchronized long allocatedBytes() {
        driver();
        try {
            return (long) emulatorCall("hearth_emu_allocated_bytes", FunctionDescriptor.of(ValueLayout.JAVA_LONG))
                    .invokeExact();
        } catch (Throwable t) {
            throw new AssertionError("hearth_emu_allocated_bytes(): " + t, t);
        }
    }

    private static MethodHandle emulatorCall(String name, FunctionDescriptor descriptor) {
        // dlopen of the same path answers the handle CudaDriver already holds, so this is the same emulator state
        SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
        return Linker.nativeLinker().downcallHandle(lookup.find(name)
                .orElseThrow(() -> new AssertionError(library + " lacks " + name)), descriptor);
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
