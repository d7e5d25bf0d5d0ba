package dev.hearth.engine.demo;

import java.util.concurrent.ConcurrentHashMap;

/// Orthonormal DCT-II over the blocks of a tensor and its inverse (DCT-III), as the DeMo reference's
/// `TransformDCT` with `norm="ortho"`: a block `X` of `n1 × n2` becomes `Y = C₁·X·C₂ᵀ`, and `X = C₁ᵀ·Y·C₂`,
/// where `C_N[k][j] = s_k·√(2/N)·cos(π(2j+1)k / 2N)`, `s_0 = 1/√2`, `s_k = 1` otherwise.
///
/// The work is done one *slab* at a time: `n1` consecutive rows of a matrix, `width` columns wide (a multiple of
/// `n2`, so a slab holds `width / n2` whole blocks side by side). The left product runs over whole slab rows
/// (long, contiguous, vectorised by the JIT); the right product runs per block row segment of `n2` against the
/// `n2 × n2` basis that stays in L1. The coefficients come out packed as `[n1][width]`: coefficient `(b, d)` of the
/// slab's block `x` sits at `b·width + x·n2 + d`.
///
/// Plain Java float arithmetic in a fixed order: the same input gives bit-identical output on every JVM, which
/// the aggregation path relies on. Bases are built with {@link StrictMath} for the same reason.
public final class TransformDct {

    /// The DCT matrices of one size.
    ///
    /// @param n       transform length
    /// @param forward `C[k][j]` row-major (`n × n`)
    /// @param inverse `Cᵀ[j][k] = C[k][j]` row-major
    public record Basis(int n, float[] forward, float[] inverse) {
    }

    private static final ConcurrentHashMap<Integer, Basis> BASES = new ConcurrentHashMap<>();

    private TransformDct() {
    }

    /// The cached orthonormal DCT-II basis of length `n`.
    public static Basis basis(int n) {
        return BASES.computeIfAbsent(n, TransformDct::build);
    }

    private static Basis build(int n) {
        float[] f = new float[n * n];
        float[] inv = new float[n * n];
        for (int k = 0; k < n; k++) {
            double s = (k == 0 ? StrictMath.sqrt(1.0 / n) : StrictMath.sqrt(2.0 / n));
            for (int j = 0; j < n; j++) {
                float c = (float) (s * StrictMath.cos(StrictMath.PI * (2 * j + 1) * k / (2.0 * n)));
                f[k * n + j] = c;
                inv[j * n + k] = c;
            }
        }
        return new Basis(n, f, inv);
    }

    /// Forward transform of one slab.
    ///
    /// @param src       the tensor (or any array) holding the slab
    /// @param srcOff    index of the slab's first element
    /// @param srcStride distance between consecutive slab rows (the matrix's column count)
    /// @param n1        block height = slab rows
    /// @param n2        block width
    /// @param width     slab width, a multiple of n2
    /// @param out       receives the packed coefficients `[n1][width]`
    /// @param tmp       scratch of at least `n1·width`
    public static void forwardSlab(float[] src, int srcOff, int srcStride, int n1, int n2, int width,
                                   float[] out, float[] tmp) {
        // T = C1 · X   (n1, width)
        leftMultiply(basis(n1).forward(), n1, src, srcOff, srcStride, width, tmp);
        // Y = T · C2ᵀ  per block row segment (n1·width/n2, n2)
        rightMultiply(tmp, n1 * width / n2, n2, basis(n2).inverse(), out);
    }

    /// Inverse transform of one slab of packed coefficients `[n1][width]` into the tensor rows of `dst`.
    /// Zero coefficients cost nothing in the first product, so a sparse slab is cheap.
    ///
    /// @param coeffs    packed coefficients `[n1][width]`; used as scratch (overwritten)
    /// @param dst       the tensor receiving the slab
    /// @param dstOff    index of the slab's first element in dst
    /// @param dstStride distance between consecutive slab rows in dst
    /// @param tmp       scratch of at least `n1·width`
    public static void inverseSlab(float[] coeffs, int n1, int n2, int width,
                                   float[] dst, int dstOff, int dstStride, float[] tmp) {
        // T = Y · C2   per block row segment (n1·width/n2, n2); skips zero coefficients
        rightMultiply(coeffs, n1 * width / n2, n2, basis(n2).forward(), tmp);
        // X = C1ᵀ · T  (n1, width)
        leftMultiply(basis(n1).inverse(), n1, tmp, 0, width, width, coeffs);
        for (int r = 0; r < n1; r++) {
            System.arraycopy(coeffs, r * width, dst, dstOff + r * dstStride, width);
        }
    }

    /// `out[r][c] = Σ_j a[r][j]·src[srcOff + j·stride + c]` for `r < n`, `c < width`; out is packed `[n][width]`.
    static void leftMultiply(float[] a, int n, float[] src, int srcOff, int stride, int width, float[] out) {
        if (n == 1) {
            float a0 = a[0];
            for (int c = 0; c < width; c++) {
                out[c] = a0 * src[srcOff + c];
            }
            return;
        }
        for (int r = 0; r < n; r++) {
            int o = r * width;
            float a0 = a[r * n];
            for (int c = 0; c < width; c++) {
                out[o + c] = a0 * src[srcOff + c];
            }
            for (int j = 1; j < n; j++) {
                float aj = a[r * n + j];
                int s = srcOff + j * stride;
                for (int c = 0; c < width; c++) {
                    out[o + c] += aj * src[s + c];
                }
            }
        }
    }

    /// For each of `segments` contiguous rows of length n: `out[seg][:] = Σ_l src[seg][l]·b[l][:]`, skipping zero
    /// `src` entries (exactly: a skipped term adds +0·b, which cannot change a sum that is then still finite).
    static void rightMultiply(float[] src, int segments, int n, float[] b, float[] out) {
        for (int s = 0; s < segments; s++) {
            int o = s * n;
            for (int d = 0; d < n; d++) {
                out[o + d] = 0f;
            }
            for (int l = 0; l < n; l++) {
                float v = src[o + l];
                if (v == 0f) {
                    continue;
                }
                int bl = l * n;
                for (int d = 0; d < n; d++) {
                    out[o + d] += v * b[bl + d];
                }
            }
        }
    }

    /// Orthonormal DCT-II of a whole vector of length n (one block), for tests and tools.
    public static float[] forward1d(float[] x) {
        float[] out = new float[x.length];
        rightMultiply(x, 1, x.length, basis(x.length).inverse(), out);
        return out;
    }

    /// Inverse of {@link #forward1d}.
    public static float[] inverse1d(float[] y) {
        float[] out = new float[y.length];
        rightMultiply(y, 1, y.length, basis(y.length).forward(), out);
        return out;
    }

    /// Orthonormal 2-D DCT-II of one `n1 × n2` block given row-major, for tests and tools.
    public static float[] forward2d(float[] block, int n1, int n2) {
        float[] out = new float[n1 * n2];
        forwardSlab(block, 0, n2, n1, n2, n2, out, new float[n1 * n2]);
        return out;
    }

    /// Inverse of {@link #forward2d}.
    public static float[] inverse2d(float[] coeffs, int n1, int n2) {
        float[] c = coeffs.clone();
        float[] out = new float[n1 * n2];
        inverseSlab(c, n1, n2, n2, out, 0, n2, new float[n1 * n2]);
        return out;
    }
}
