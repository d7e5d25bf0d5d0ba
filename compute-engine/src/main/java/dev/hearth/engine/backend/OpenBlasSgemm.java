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

/// `cblas_sgemm` from the OpenBLAS that ND4J ships (org.bytedeco:openblas), called through the
/// Foreign Function API with *heap* arrays: `Linker.Option.critical(true)` lets native code read and
/// write Java `float[]`s in place, so the model keeps every buffer as a plain array (fast auto-vectorized
/// Java loops for the elementwise kernels) and no copy happens around a multiply.
///
/// Why not `Nd4j.gemm`: measured here, a [128,32]·[32,128] attention-head multiply costs 0.08–0.2 ms
/// through ND4J's op executioner against 0.015 ms straight into OpenBLAS; a `nano` step does ~1,500 of them.
/// Large multiplies run at the same speed either way (same library).
public final class OpenBlasSgemm implements Sgemm {

    private static final int CBLAS_ROW_MAJOR = 101;
    private static final int CBLAS_NO_TRANS = 111;
    private static final int CBLAS_TRANS = 112;

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

    /// Loads ND4J's bundled OpenBLAS; empty when it cannot (the caller falls back to plain Java and says so).
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
            return Optional.of(new OpenBlasSgemm(sgemm, get, set, "OpenBLAS 0.3.19 (the build ND4J ships)"));
        } catch (Throwable e) { // UnsatisfiedLinkError, missing symbol, restricted native access...
            return Optional.empty();
        }
    }

    /// JavaCPP extracts OpenBLAS itself next to its JNI wrapper. Prefer the library proper (Windows'
    /// `GetProcAddress` does not search a DLL's dependencies); fall back to the wrapper, whose dependency
    /// `dlsym` does search on Linux and macOS.
    @SuppressWarnings("restricted")
    private static SymbolLookup lookup(Path jni) {
        Path dir = jni.getParent();
        for (String name : new String[] {"libopenblas_nolapack.so.0", "libopenblas_nolapack.0.dylib",
                "libopenblas_nolapack.dll", "openblas_nolapack.dll"}) {
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
