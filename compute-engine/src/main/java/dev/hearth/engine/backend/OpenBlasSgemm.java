package dev.hearth.engine.backend;

import dev.hearth.engine.model.Sgemm;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/// `cblas_sgemm` from OpenBLAS as JavaCPP packages it (`org.bytedeco:openblas`, natives for the build's OS in the
/// classifier jar), called through the Foreign Function API with *heap* arrays: `Linker.Option.critical(true)` lets native code read and
/// write Java `float[]`s in place, so the model keeps every buffer as a plain array (fast auto-vectorized
/// Java loops for the elementwise kernels) and no copy happens around a multiply.
///
/// JavaCPP's own `cblas_sgemm` binding is not used: it takes off-heap pointers, so every multiply would copy its
/// operands out of the Java arrays and back. Only JavaCPP's [org.bytedeco.javacpp.Loader] is: it unpacks the
/// library from the jar into its cache and loads it, and this class then looks the symbols up itself
/// (docs/decisions/0007-openblas-without-nd4j.md says why ND4J, which used to bring this library, is gone).
/// Threads: this OpenBLAS is built with its own pthreads pool (no OpenMP); [#setNativeThreads] sizes it.
public final class OpenBlasSgemm implements Sgemm {

    private static final int CBLAS_ROW_MAJOR = 101;
    private static final int CBLAS_NO_TRANS = 111;
    private static final int CBLAS_TRANS = 112;
    /// Bytes that may be read from OpenBLAS's config string: more than it ever holds (one line of build flags,
    /// ~100 characters); the read stops at its NUL.
    private static final long MAX_CONFIG_CHARS = 4096;

    private final MethodHandle sgemm;
    private final MethodHandle getThreads;
    private final MethodHandle setThreads;
    private final String description;

    private OpenBlasSgemm(MethodHandle sgemm, MethodHandle getThreads, MethodHandle setThreads, String description) {
        this.sgemm = sgemm;
        this.getThreads = getThreads;
        this.setThreads = setThreads;
        this.description = description;
    }

    /// Loads the OpenBLAS from `org.bytedeco:openblas`; empty when it cannot (the caller falls back to plain Java and says so).
    @SuppressWarnings("restricted") // native access is the point; the launcher passes --enable-native-access
    public static Optional<OpenBlasSgemm> load() {
        try {
            String jni = org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            SymbolLookup lib = lookup(Path.of(jni));
            Linker linker = Linker.nativeLinker();
            var i = ValueLayout.JAVA_INT;
            var f = ValueLayout.JAVA_FLOAT;
            var p = ValueLayout.ADDRESS;
            MethodHandle sgemm = linker.downcallHandle(lib.find("cblas_sgemm").orElseThrow(),
                    FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p, i, f, p, i),
                    Linker.Option.critical(true));
            MethodHandle get = linker.downcallHandle(lib.find("openblas_get_num_threads").orElseThrow(),
                    FunctionDescriptor.of(i));
            MethodHandle set = linker.downcallHandle(lib.find("openblas_set_num_threads").orElseThrow(),
                    FunctionDescriptor.ofVoid(i));
            MethodHandle config = linker.downcallHandle(lib.find("openblas_get_config").orElseThrow(),
                    FunctionDescriptor.of(p));
            MethodHandle core = linker.downcallHandle(lib.find("openblas_get_corename").orElseThrow(),
                    FunctionDescriptor.of(p));
            return Optional.of(new OpenBlasSgemm(sgemm, get, set, describe(config, core)));
        } catch (Throwable e) { // UnsatisfiedLinkError, missing symbol, restricted native access...
            return Optional.empty();
        }
    }

    /// "OpenBLAS 0.3.31 (SkylakeX kernels)": the version and the kernels its runtime dispatch picked for this CPU,
    /// as the library itself reports them (`openblas_get_config` starts "OpenBLAS 0.3.31 DYNAMIC_ARCH ...").
    private static String describe(MethodHandle config, MethodHandle core) throws Throwable {
        String[] words = cString((MemorySegment) config.invokeExact()).trim().split("\\s+");
        String version = words.length >= 2 ? words[0] + " " + words[1] : "OpenBLAS";
        return version + " (" + cString((MemorySegment) core.invokeExact()).trim() + " kernels)";
    }

    /// A NUL-terminated string the library owns (static storage: never freed).
    @SuppressWarnings("restricted")
    private static String cString(MemorySegment address) {
        return address.reinterpret(MAX_CONFIG_CHARS).getString(0);
    }

    /// JavaCPP extracts OpenBLAS itself next to its JNI wrapper. Prefer the library proper (Windows'
    /// `GetProcAddress` does not search a DLL's dependencies); fall back to the wrapper, whose dependency
    /// `dlsym` does search on Linux and macOS. The 0.3.31 jar holds one library, `libopenblas.so.0` (with LAPACK),
    /// which the Loader unpacks as `libopenblas_nolapack.so.0` for this class (seen here, Linux); the plain names
    /// follow in case a build keeps them.
    @SuppressWarnings("restricted")
    private static SymbolLookup lookup(Path jni) {
        Path dir = jni.getParent();
        for (String name : new String[] {"libopenblas_nolapack.so.0", "libopenblas_nolapack.0.dylib",
                "libopenblas_nolapack.dll", "openblas_nolapack.dll", "libopenblas.so.0", "libopenblas.0.dylib",
                "libopenblas.dll", "openblas.dll"}) {
            Path candidate = dir.resolve(name);
            if (java.nio.file.Files.isRegularFile(candidate)) {
                SymbolLookup l = SymbolLookup.libraryLookup(candidate, Arena.global());
                if (l.find("cblas_sgemm").isPresent()) {
                    return l;
                }
            }
        }
        return SymbolLookup.libraryLookup(jni, Arena.global());
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
                      float beta, float[] c, int cOffset, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        checkBounds("A", a, aOffset, transA ? k : m, transA ? m : k, lda);
        checkBounds("B", b, bOffset, transB ? n : k, transB ? k : n, ldb);
        checkBounds("C", c, cOffset, m, n, ldc);
        try {
            sgemm.invokeExact(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
                    transB ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, k, alpha,
                    MemorySegment.ofArray(a).asSlice(aOffset * 4L), lda,
                    MemorySegment.ofArray(b).asSlice(bOffset * 4L), ldb, beta,
                    MemorySegment.ofArray(c).asSlice(cOffset * 4L), ldc);
        } catch (Throwable e) {
            throw new IllegalStateException("cblas_sgemm failed", e);
        }
    }

    /// Native code does not bounds-check: a wrong offset would corrupt the heap, so check the last element.
    private static void checkBounds(String name, float[] x, int offset, int rows, int cols, int ld) {
        if (offset < 0 || cols > ld || (long) offset + (long) (rows - 1) * ld + cols > x.length) {
            throw new IndexOutOfBoundsException("sgemm " + name + ": " + rows + "x" + cols + " (ld " + ld
                    + ") at offset " + offset + " exceeds array of " + x.length);
        }
    }

    @Override
    public int nativeThreads() {
        try {
            return (int) getThreads.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("openblas_get_num_threads failed", e);
        }
    }

    @Override
    public void setNativeThreads(int threads) {
        try {
            setThreads.invokeExact(threads);
        } catch (Throwable e) {
            throw new IllegalStateException("openblas_set_num_threads failed", e);
        }
    }

    @Override
    public String description() {
        return description;
    }
}
