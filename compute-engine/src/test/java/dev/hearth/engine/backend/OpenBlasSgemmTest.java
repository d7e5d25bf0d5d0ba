package dev.hearth.engine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.engine.model.Sgemm;
import java.util.Random;
import org.junit.jupiter.api.Test;

/// The OpenBLAS that `org.bytedeco:openblas` ships, found through JavaCPP's Loader and called through FFM.
class OpenBlasSgemmTest {

    private static OpenBlasSgemm blas() {
        return OpenBlasSgemm.load().orElseThrow(() -> new AssertionError("OpenBLAS did not load"));
    }

    @Test
    void loadsTheBundledLibraryAndNamesItsVersionAndKernels() {
        String d = blas().description();
        assertTrue(d.matches("OpenBLAS 0\\.3\\.\\d+ \\(\\S+ kernels\\)"), d);
    }

    @Test
    void transposedSubBlockProductMatchesThePlainJavaMultiply() {
        Random r = new Random(1);
        int m = 7;
        int n = 5;
        int k = 9;
        int lda = m + 3; // A is stored transposed, [k, lda], starting 4 floats in
        int ldb = k + 2;
        float[] a = new float[4 + k * lda];
        float[] b = new float[n * ldb];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        float[] expected = new float[2 + m * n];
        float[] actual = new float[2 + m * n];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = actual[i] = (float) r.nextGaussian();
        }
        Sgemm.plainJava().sgemm(true, true, m, n, k, 0.5f, a, 4, lda, b, 0, ldb, 2f, expected, 2, n);
        blas().sgemm(true, true, m, n, k, 0.5f, a, 4, lda, b, 0, ldb, 2f, actual, 2, n);
        assertArrayEquals(expected, actual, 1e-4f);
    }

    @Test
    void nativeThreadCountCanBeSetAndRestored() {
        OpenBlasSgemm blas = blas();
        int before = blas.nativeThreads();
        try {
            blas.setNativeThreads(1);
            assertEquals(1, blas.nativeThreads());
        } finally {
            blas.setNativeThreads(before);
        }
        assertEquals(before, blas.nativeThreads());
    }

    @Test
    void refusesAnOperandThatWouldRunPastItsArray() {
        float[] small = new float[3];
        float[] ok = new float[4];
        var e = assertThrows(IndexOutOfBoundsException.class,
                () -> blas().sgemm(false, false, 2, 2, 2, 1f, small, 0, 2, ok, 0, 2, 0f, ok, 0, 2));
        assertTrue(e.getMessage().contains("sgemm A"), e.getMessage());
    }
}
