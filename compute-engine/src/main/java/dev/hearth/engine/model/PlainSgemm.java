package dev.hearth.engine.model;

/// Textbook triple loop (i-k-j order so the inner loop runs along rows of B and C and auto-vectorizes).
/// Used as the fallback when OpenBLAS cannot be loaded and as the reference in tests.
final class PlainSgemm implements Sgemm {

    static final PlainSgemm INSTANCE = new PlainSgemm();

    private PlainSgemm() {
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb,
                      float beta, float[] c, int cOffset, int ldc) {
        for (int i = 0; i < m; i++) {
            int ci = cOffset + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, ci, ci + n, 0f);
            } else if (beta != 1f) {
                for (int j = 0; j < n; j++) {
                    c[ci + j] *= beta;
                }
            }
            for (int p = 0; p < k; p++) {
                float aip = alpha * (transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p]);
                if (aip == 0f) {
                    continue;
                }
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += aip * b[bOffset + j * ldb + p];
                    }
                } else {
                    int bp = bOffset + p * ldb;
                    for (int j = 0; j < n; j++) {
                        c[ci + j] += aip * b[bp + j];
                    }
                }
            }
        }
    }

    @Override
    public String description() {
        return "plain Java loops (OpenBLAS unavailable)";
    }
}
