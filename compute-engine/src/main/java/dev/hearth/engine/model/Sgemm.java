package dev.hearth.engine.model;

/// Single-precision matrix multiply on row-major heap arrays, BLAS semantics:
/// `C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C`, where `op` optionally transposes.
/// Offsets and leading dimensions are in floats, so callers can multiply sub-blocks (one attention head)
/// in place without copying.
public interface Sgemm {

    // The BLAS signature on purpose: a parameter object would allocate on each of ~1,600 calls per step.
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
               float beta, float[] c, int cOffset, int ldc);

    /// Threads the native library uses per call (1 when it has none of its own).
    default int nativeThreads() {
        return 1;
    }

    /// Sets the native library's own threads; a no-op where there are none. The model sets 1 while it
    /// parallelises by itself and restores the previous value afterwards.
    default void setNativeThreads(int threads) {
    }

    /// Where the multiplies run, in words for the owner (e.g. "OpenBLAS 0.3.31 (SkylakeX kernels)").
    String description();

    /// The plain-loop implementation: slow, dependency-free, the reference the fast one is checked against.
    static Sgemm plainJava() {
        return PlainSgemm.INSTANCE;
    }
}
