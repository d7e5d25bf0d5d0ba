package dev.hearth.engine.demo;

import java.util.concurrent.ConcurrentHashMap;

/// Orthonormal DCT-II over the blocks of a tensor and its inverse (DCT-III), as the DeMo reference's
/// `TransformDCT` with `norm="ortho"`: a block `X` of `n1 × n2` becomes `Y = C₁·X·C₂ᵀ`, and `X = C₁ᵀ·Y·C₂`,
/// where `C_N[k][j] = s_k·√(2/N)·cos(π(2j+1)k / 2N)`, `s_0 = 1/√2`, `s_k = 1` otherwise.
///
/// ## How it is fast in plain Java
/// Every transform here runs along the *row index* of a stack of rows, each operation acting on whole rows of
/// `width` floats (long contiguous loops the JIT turns into AVX/AVX-512). A tile of side-by-side blocks
/// (`n1` rows × `blocks·n2` columns) is transformed along its rows (pass A), transposed block by block into
/// `n2` rows × `blocks·n1` columns, and transformed along its rows again (pass B). The result is the tile's
/// coefficients in *transposed packing*: coefficient `(b, d)` of block `x` sits at `d·(blocks·n1) + x·n1 + b`.
///
/// Along one dimension the even/odd split of the DCT is applied recursively: with `e_j = x_j + x_{N−1−j}` and
/// `o_j = x_j − x_{N−1−j}`, the even outputs are `DCT_{N/2}(e)/√2`, and the odd outputs a DCT-IV of `o`, which is
/// computed as a DCT-II of the "twisted" `o_j·2cos(π(2j+1)/2N)` followed by the recurrence
/// `X_0 = Y_0/2, X_i = Y_i − X_{i−1}`. For N = 64 that is ~320 light row passes instead of 4,096 products (the
/// matrix odd half it replaced ran 36% slower). The recurrence carries earlier roundings forward: round trips
/// are good to ~1.2e-6 of the largest value instead of ~0.4e-6 (see `TransformDctTest`). Odd lengths and
/// N ≤ 4 use the plain matrix.
///
/// Plain Java float arithmetic in a fixed order (no FMA contraction in Java): the same input gives bit-identical
/// output on every JVM, which the aggregation path relies on. Bases are built with {@link StrictMath}.
public final class TransformDct {

    /// Lengths at or below this use the plain matrix (the split saves nothing there).
    private static final int MATRIX_BELOW = 4;

    /// One level of the recursive split for length n (or the matrix base when `base != null`).
    ///
    /// @param n     length at this level
    /// @param base  `scale·C_n` row-major (`n × n`) when this level is the matrix base, else null
    /// @param baseT its transpose, else null
    /// @param twist `c_j = 2·cos(π(2j+1) / 2n)` for `j < n/2`: turns the odd half (a DCT-IV) into a DCT-II
    /// @param next  the level for n/2 at scale/√2, serving both halves, else null
    record Level(int n, float[] base, float[] baseT, float[] twist, Level next) {
    }

    /// The DCT matrices of one size (plain, unscaled) and its split plan.
    ///
    /// @param n       transform length
    /// @param forward `C[k][j]` row-major (`n × n`)
    /// @param inverse `Cᵀ[j][k] = C[k][j]` row-major
    public record Basis(int n, float[] forward, float[] inverse, Level plan) {
    }

    private static final ConcurrentHashMap<Integer, Basis> BASES = new ConcurrentHashMap<>();

    private TransformDct() {
    }

    /// The cached orthonormal DCT-II basis of length `n`.
    public static Basis basis(int n) {
        return BASES.computeIfAbsent(n, TransformDct::build);
    }

    private static double c(int n, int k, int j) {
        double s = k == 0 ? StrictMath.sqrt(1.0 / n) : StrictMath.sqrt(2.0 / n);
        return s * StrictMath.cos(StrictMath.PI * (2 * j + 1) * k / (2.0 * n));
    }

    private static Basis build(int n) {
        float[] f = new float[n * n];
        float[] inv = new float[n * n];
        for (int k = 0; k < n; k++) {
            for (int j = 0; j < n; j++) {
                float v = (float) c(n, k, j);
                f[k * n + j] = v;
                inv[j * n + k] = v;
            }
        }
        return new Basis(n, f, inv, level(n, 1.0));
    }

    private static Level level(int n, double scale) {
        if (n % 2 == 1 || n <= MATRIX_BELOW) {
            float[] m = new float[n * n];
            float[] mt = new float[n * n];
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < n; j++) {
                    float v = (float) (scale * c(n, k, j));
                    m[k * n + j] = v;
                    mt[j * n + k] = v;
                }
            }
            return new Level(n, m, mt, null, null);
        }
        int h = n / 2;
        float[] twist = new float[h];
        for (int j = 0; j < h; j++) {
            twist[j] = (float) (2 * StrictMath.cos(StrictMath.PI * (2 * j + 1) / (2.0 * n)));
        }
        return new Level(n, null, null, twist, level(h, scale / StrictMath.sqrt(2.0)));
    }

    /// Row buffers for one thread: every kernel reads and writes rows as separate arrays indexed from 0, so that
    /// each loop touches `out[c]`, `in0[c]`, `in1[c]`... at the same index. That is what lets C2 vectorise them:
    /// with one flat array and different offsets (`out[o + c]`, `in[s + c]`) it cannot rule out an overlap and
    /// JDK 25 then emits scalar code (measured 3.5 GMAC/s scalar against ~20 vectorised on this machine).
    public static final class Workspace {
        final int width;
        final float[][] x;     // tile rows in tensor order (n1) and, reused, the inverse's output
        final float[][] t;     // after pass A (n1 rows of w1)
        final float[][] u;     // transposed (n2 rows of w2)
        final float[][] z;     // after pass B (n2 rows of w2)
        final float[][][] even;  // per recursion depth: h rows
        final float[][][] odd;
        final float[][][] twisted;
        final float[][][] spectrum;

        /// @param maxN     largest block edge the workspace serves
        /// @param maxWidth largest row width (tile columns, or blocks·n1 after the transpose)
        public Workspace(int maxN, int maxWidth) {
            width = maxWidth;
            x = rows(maxN, maxWidth);
            t = rows(maxN, maxWidth);
            u = rows(maxN, maxWidth);
            z = rows(maxN, maxWidth);
            int depth = 0;
            for (int n = maxN; n > 1; n /= 2) {
                depth++;
            }
            even = new float[depth + 1][][];
            odd = new float[depth + 1][][];
            twisted = new float[depth + 1][][];
            spectrum = new float[depth + 1][][];
            int h = maxN / 2;
            for (int d = 0; d <= depth; d++) {
                even[d] = rows(Math.max(1, h), maxWidth);
                odd[d] = rows(Math.max(1, h), maxWidth);
                twisted[d] = rows(Math.max(1, h), maxWidth);
                spectrum[d] = rows(Math.max(1, h), maxWidth);
                h /= 2;
            }
        }

        private static float[][] rows(int n, int w) {
            float[][] r = new float[n][];
            for (int i = 0; i < n; i++) {
                r[i] = new float[w];
            }
            return r;
        }
    }

    /// A workspace for tiles of up to `blocks` blocks of up to `n × n`.
    public static Workspace workspace(int n, int blocks) {
        return new Workspace(n, n * blocks);
    }

    private static void forward(Level l, float[][] in, float[][] out, int outStart, int outStep, int width,
                                Workspace ws, int depth) {
        int n = l.n();
        if (l.base() != null) {
            matRows(l.base(), n, n, in, 0, 1, out, outStart, outStep, width);
            return;
        }
        int h = n / 2;
        float[][] e = ws.even[depth];
        float[][] o = ws.odd[depth];
        float[] twist = l.twist();
        for (int j = 0; j < h; j++) {
            butterflyTwisted(in[j], in[n - 1 - j], e[j], o[j], twist[j], width);
        }
        // even outputs k = 2i: the half-length DCT of e (its scale is folded into the next level)
        forward(l.next(), e, out, outStart, 2 * outStep, width, ws, depth + 1);
        // odd outputs k = 2i+1: a DCT-IV of o, taken as a DCT-II of the twisted o and unrolled
        oddHalf(l.next(), o, out, outStart + outStep, 2 * outStep, h, width, ws, depth);
    }

    private static void inverse(Level l, float[][] in, int inStart, int inStep, float[][] out, int width,
                                Workspace ws, int depth) {
        int n = l.n();
        if (l.base() != null) {
            matRows(l.baseT(), n, n, in, inStart, inStep, out, 0, 1, width);
            return;
        }
        int h = n / 2;
        float[][] e = ws.even[depth];
        float[][] o = ws.odd[depth];
        float[] twist = l.twist();
        inverse(l.next(), in, inStart, 2 * inStep, e, width, ws, depth + 1);
        // The odd half is a scaled DCT-IV, which is its own transpose: the same path as forward.
        for (int i = 0; i < h; i++) {
            scale(in[inStart + (2 * i + 1) * inStep], o[i], twist[i], width);
        }
        float[][] x = ws.twisted[depth];
        oddHalf(l.next(), o, x, 0, 1, h, width, ws, depth);
        for (int j = 0; j < h; j++) {
            butterfly(e[j], x[j], out[j], out[n - 1 - j], width);
        }
    }

    /// `out[start + i·step] = scale·√(1/h)·Σ_j w_j·cos(π(2j+1)(2i+1)/4h)` given the twisted rows `w_j = o_j·c_j`:
    /// with `Y = DCT-II(w)` (unnormalised), `X_0 = Y_0/2` and `X_i = Y_i − X_{i−1}` (from
    /// `2·cos a·cos b = cos(a+b) + cos(a−b)`). The half-length level at scale/√2 yields `Y` scaled except for
    /// its `s_0 = 1/√2` on `Y_0`, hence the `1/√2` on the first row.
    private static void oddHalf(Level half, float[][] twisted, float[][] out, int start, int step, int h, int width,
                                Workspace ws, int depth) {
        float[][] y = ws.spectrum[depth];
        forward(half, twisted, y, 0, 1, width, ws, depth + 1);
        scale(y[0], out[start], INV_SQRT2, width);
        for (int i = 1; i < h; i++) {
            subtract(y[i], out[start + (i - 1) * step], out[start + i * step], width);
        }
    }

    private static final float INV_SQRT2 = (float) (1 / StrictMath.sqrt(2.0));

    /// `sum = a + b`, `twisted = (a − b)·c`.
    private static void butterflyTwisted(float[] a, float[] b, float[] sum, float[] twisted, float c, int width) {
        for (int i = 0; i < width; i++) {
            float x = a[i];
            float y = b[i];
            sum[i] = x + y;
            twisted[i] = (x - y) * c;
        }
    }

    /// `dst = src·f`.
    private static void scale(float[] src, float[] dst, float f, int width) {
        for (int i = 0; i < width; i++) {
            dst[i] = src[i] * f;
        }
    }

    /// `dst = a − b`.
    private static void subtract(float[] a, float[] b, float[] dst, int width) {
        for (int i = 0; i < width; i++) {
            dst[i] = a[i] - b[i];
        }
    }

    /// `sum = a + b`, `diff = a − b`.
    private static void butterfly(float[] a, float[] b, float[] sum, float[] diff, int width) {
        for (int c = 0; c < width; c++) {
            float x = a[c];
            float y = b[c];
            sum[c] = x + y;
            diff[c] = x - y;
        }
    }

    /// `out[outStart + r·outStep] = Σ_j m[r][j]·in[inStart + j·inStep]` over rows of `width` floats (m is
    /// `rows × cols` row-major). Four input rows per pass: the output row is loaded and stored once per four
    /// products instead of once per product.
    static void matRows(float[] m, int rows, int cols, float[][] in, int inStart, int inStep,
                        float[][] out, int outStart, int outStep, int width) {
        for (int r = 0; r < rows; r++) {
            float[] o = out[outStart + r * outStep];
            int mr = r * cols;
            int j;
            if (cols >= 4) {
                set4(o, in[inStart], in[inStart + inStep], in[inStart + 2 * inStep], in[inStart + 3 * inStep],
                        m[mr], m[mr + 1], m[mr + 2], m[mr + 3], width);
                j = 4;
            } else {
                set1(o, in[inStart], m[mr], width);
                j = 1;
            }
            for (; j + 4 <= cols; j += 4) {
                int s = inStart + j * inStep;
                add4(o, in[s], in[s + inStep], in[s + 2 * inStep], in[s + 3 * inStep],
                        m[mr + j], m[mr + j + 1], m[mr + j + 2], m[mr + j + 3], width);
            }
            for (; j < cols; j++) {
                add1(o, in[inStart + j * inStep], m[mr + j], width);
            }
        }
    }

    private static void set4(float[] o, float[] a, float[] b, float[] c, float[] d, float m0, float m1, float m2,
                             float m3, int width) {
        for (int i = 0; i < width; i++) {
            o[i] = m0 * a[i] + m1 * b[i] + m2 * c[i] + m3 * d[i];
        }
    }

    private static void add4(float[] o, float[] a, float[] b, float[] c, float[] d, float m0, float m1, float m2,
                             float m3, int width) {
        for (int i = 0; i < width; i++) {
            o[i] += m0 * a[i] + m1 * b[i] + m2 * c[i] + m3 * d[i];
        }
    }

    private static void set1(float[] o, float[] a, float m0, int width) {
        for (int i = 0; i < width; i++) {
            o[i] = m0 * a[i];
        }
    }

    private static void add1(float[] o, float[] a, float m0, int width) {
        for (int i = 0; i < width; i++) {
            o[i] += m0 * a[i];
        }
    }

    /// Forward 2-D transform of a tile of `blocks` side-by-side `n1 × n2` blocks.
    ///
    /// @param src       the tensor holding the tile
    /// @param srcOff    index of the tile's top-left element
    /// @param srcStride distance between tensor rows
    /// @param out       receives `n1·n2·blocks` coefficients in transposed packing: `(b, d)` of block x at
    ///                  `outOff + d·(blocks·n1) + x·n1 + b`
    public static void forwardTile(float[] src, int srcOff, int srcStride, int n1, int n2, int blocks,
                                   float[] out, int outOff, Workspace ws) {
        int w1 = blocks * n2;           // pass A width: tensor columns of the tile
        int w2 = blocks * n1;           // pass B width
        for (int j = 0; j < n1; j++) {
            System.arraycopy(src, srcOff + j * srcStride, ws.x[j], 0, w1);
        }
        forward(basis(n1).plan(), ws.x, ws.t, 0, 1, w1, ws, 0);           // (n1, w1)
        transposeBlocks(ws.t, n1, n2, blocks, ws.u);                       // (n2, w2)
        forward(basis(n2).plan(), ws.u, ws.z, 0, 1, w2, ws, 0);           // (n2, w2)
        for (int d = 0; d < n2; d++) {
            System.arraycopy(ws.z[d], 0, out, outOff + d * w2, w2);
        }
    }

    /// `acc ← β·acc + DCT(tile)`: {@link #forwardTile} fused with the momentum update, with `acc` in the same
    /// transposed packing. Each accumulator row goes through a workspace row so that the update loop indexes all
    /// its arrays alike and vectorises (see {@link Workspace}).
    public static void accumulateTile(float[] src, int srcOff, int srcStride, int n1, int n2, int blocks,
                                      float beta, float[] acc, int accOff, Workspace ws) {
        int w1 = blocks * n2;
        int w2 = blocks * n1;
        for (int j = 0; j < n1; j++) {
            System.arraycopy(src, srcOff + j * srcStride, ws.x[j], 0, w1);
        }
        forward(basis(n1).plan(), ws.x, ws.t, 0, 1, w1, ws, 0);           // (n1, w1)
        transposeBlocks(ws.t, n1, n2, blocks, ws.u);                       // (n2, w2)
        forward(basis(n2).plan(), ws.u, ws.z, 0, 1, w2, ws, 0);           // (n2, w2)
        for (int d = 0; d < n2; d++) {
            float[] old = ws.u[d];
            float[] z = ws.z[d];
            int row = accOff + d * w2;
            System.arraycopy(acc, row, old, 0, w2);
            for (int c = 0; c < w2; c++) {
                z[c] = beta * old[c] + z[c];
            }
            System.arraycopy(z, 0, acc, row, w2);
        }
    }

    /// Inverse of {@link #forwardTile}: coefficients in transposed packing to tensor rows.
    ///
    /// @param coeffs `n1·n2·blocks` coefficients in transposed packing from `coeffOff`; not modified
    public static void inverseTile(float[] coeffs, int coeffOff, int n1, int n2, int blocks, float[] dst, int dstOff,
                                   int dstStride, Workspace ws) {
        int w1 = blocks * n2;
        int w2 = blocks * n1;
        for (int d = 0; d < n2; d++) {
            System.arraycopy(coeffs, coeffOff + d * w2, ws.z[d], 0, w2);
        }
        inverse(basis(n2).plan(), ws.z, 0, 1, ws.u, w2, ws, 0);            // (n2, w2)
        untransposeBlocks(ws.u, n1, n2, blocks, ws.t);                     // (n1, w1)
        inverse(basis(n1).plan(), ws.t, 0, 1, ws.x, w1, ws, 0);            // (n1, w1)
        for (int j = 0; j < n1; j++) {
            System.arraycopy(ws.x[j], 0, dst, dstOff + j * dstStride, w1);
        }
    }

    /// `u[l][x·n1 + b] = t[b][x·n2 + l]` for a tile of `blocks` blocks.
    static void transposeBlocks(float[][] t, int n1, int n2, int blocks, float[][] u) {
        for (int b = 0; b < n1; b++) {
            float[] row = t[b];
            for (int x = 0; x < blocks; x++) {
                int s = x * n2;
                int d = x * n1 + b;
                for (int l = 0; l < n2; l++) {
                    u[l][d] = row[s + l];
                }
            }
        }
    }

    /// Inverse of {@link #transposeBlocks}.
    static void untransposeBlocks(float[][] u, int n1, int n2, int blocks, float[][] t) {
        for (int b = 0; b < n1; b++) {
            float[] row = t[b];
            for (int x = 0; x < blocks; x++) {
                int d = x * n2;
                int s = x * n1 + b;
                for (int l = 0; l < n2; l++) {
                    row[d + l] = u[l][s];
                }
            }
        }
    }

    /// Orthonormal DCT-II of a whole vector (one block), for tests and tools.
    public static float[] forward1d(float[] x) {
        float[] out = new float[x.length];
        forwardTile(x, 0, x.length, 1, x.length, 1, out, 0, workspace(x.length, 1));
        return out;
    }

    /// Inverse of {@link #forward1d}.
    public static float[] inverse1d(float[] y) {
        float[] out = new float[y.length];
        inverseTile(y, 0, 1, y.length, 1, out, 0, y.length, workspace(y.length, 1));
        return out;
    }

    /// Orthonormal 2-D DCT-II of one `n1 × n2` block, row-major in and out, for tests and tools.
    public static float[] forward2d(float[] block, int n1, int n2) {
        float[] packed = new float[n1 * n2];
        forwardTile(block, 0, n2, n1, n2, 1, packed, 0, workspace(Math.max(n1, n2), 1));
        float[] out = new float[n1 * n2];
        for (int d = 0; d < n2; d++) {
            for (int b = 0; b < n1; b++) {
                out[b * n2 + d] = packed[d * n1 + b];
            }
        }
        return out;
    }

    /// Inverse of {@link #forward2d}.
    public static float[] inverse2d(float[] coeffs, int n1, int n2) {
        float[] packed = new float[n1 * n2];
        for (int d = 0; d < n2; d++) {
            for (int b = 0; b < n1; b++) {
                packed[d * n1 + b] = coeffs[b * n2 + d];
            }
        }
        float[] out = new float[n1 * n2];
        inverseTile(packed, 0, n1, n2, 1, out, 0, n2, workspace(Math.max(n1, n2), 1));
        return out;
    }
}
