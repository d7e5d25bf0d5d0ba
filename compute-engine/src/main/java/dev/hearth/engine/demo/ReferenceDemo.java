package dev.hearth.engine.demo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/// The obviously-correct DeMo: direct O(n²) DCT formulas in double, a full sort for top-k, the momentum in
/// parameter space exactly as the paper writes it, and a per-coefficient list for the mean. Slow on purpose; it
/// exists so that tests can hold {@link DemoCompressor} and {@link DemoAggregator} against it (as llm.c keeps
/// `train_gpt2.c` beside the CUDA version).
public final class ReferenceDemo {

    private ReferenceDemo() {
    }

    /// `C_N[k][j] = s_k·√(2/N)·cos(π(2j+1)k / 2N)`.
    static double basis(int n, int k, int j) {
        double s = k == 0 ? Math.sqrt(1.0 / n) : Math.sqrt(2.0 / n);
        return s * Math.cos(Math.PI * (2 * j + 1) * k / (2.0 * n));
    }

    private static final java.util.concurrent.ConcurrentHashMap<Integer, double[][]> TABLES =
            new java.util.concurrent.ConcurrentHashMap<>();

    /// `basis(n, k, j)` tabulated (the cosines dominate the run time otherwise).
    private static double[][] table(int n) {
        return TABLES.computeIfAbsent(n, m -> {
            double[][] c = new double[m][m];
            for (int k = 0; k < m; k++) {
                for (int j = 0; j < m; j++) {
                    c[k][j] = basis(m, k, j);
                }
            }
            return c;
        });
    }

    /// Orthonormal 1-D DCT-II.
    public static double[] dct(double[] x) {
        int n = x.length;
        double[][] c = table(n);
        double[] y = new double[n];
        for (int k = 0; k < n; k++) {
            for (int j = 0; j < n; j++) {
                y[k] += c[k][j] * x[j];
            }
        }
        return y;
    }

    /// Orthonormal 1-D DCT-III (inverse of {@link #dct}).
    public static double[] idct(double[] y) {
        int n = y.length;
        double[][] c = table(n);
        double[] x = new double[n];
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < n; k++) {
                x[j] += c[k][j] * y[k];
            }
        }
        return x;
    }

    /// 2-D DCT-II of a block `[n1][n2]`: columns then rows.
    public static double[][] dct2(double[][] x) {
        return separable(x, true);
    }

    public static double[][] idct2(double[][] y) {
        return separable(y, false);
    }

    private static double[][] separable(double[][] x, boolean forward) {
        int n1 = x.length;
        int n2 = x[0].length;
        double[][] t = new double[n1][];
        for (int r = 0; r < n1; r++) {
            t[r] = forward ? dct(x[r]) : idct(x[r]);
        }
        double[][] out = new double[n1][n2];
        for (int c = 0; c < n2; c++) {
            double[] col = new double[n1];
            for (int r = 0; r < n1; r++) {
                col[r] = t[r][c];
            }
            double[] tc = forward ? dct(col) : idct(col);
            for (int r = 0; r < n1; r++) {
                out[r][c] = tc[r];
            }
        }
        return out;
    }

    private static double[][] readBlock(float[] v, DemoBlocking.TensorBlocks t, int blk) {
        int by = blk / t.blocksAcross();
        int bx = blk % t.blocksAcross();
        double[][] x = new double[t.blockRows()][t.blockCols()];
        for (int b = 0; b < t.blockRows(); b++) {
            for (int d = 0; d < t.blockCols(); d++) {
                x[b][d] = v[t.offset() + (by * t.blockRows() + b) * t.cols() + bx * t.blockCols() + d];
            }
        }
        return x;
    }

    private static void addBlock(float[] v, DemoBlocking.TensorBlocks t, int blk, double[][] x, double sign) {
        int by = blk / t.blocksAcross();
        int bx = blk % t.blocksAcross();
        for (int b = 0; b < t.blockRows(); b++) {
            for (int d = 0; d < t.blockCols(); d++) {
                int p = t.offset() + (by * t.blockRows() + b) * t.cols() + bx * t.blockCols() + d;
                v[p] = (float) (v[p] + sign * x[b][d]);
            }
        }
    }

    /// One DeMo compress step on a parameter-space momentum `m` (changed in place):
    /// `m ← β·m + g; Y = DCT(m); q = topk(Y); m ← m − IDCT(q)`.
    public static SparseUpdate compress(DemoBlocking blocking, float beta, float[] m, float[] grad) {
        for (int i = 0; i < m.length; i++) {
            m[i] = beta * m[i] + grad[i];
        }
        short[] idx = new short[blocking.entryCount()];
        float[] val = new float[blocking.entryCount()];
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            int n2 = t.blockCols();
            for (int blk = 0; blk < t.blockCount(); blk++) {
                double[][] y = dct2(readBlock(m, t, blk));
                Integer[] order = new Integer[t.blockElems()];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
                Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -Math.abs(y[i / n2][i % n2]))
                        .thenComparingInt(i -> i));
                int[] kept = new int[t.keep()];
                for (int e = 0; e < kept.length; e++) {
                    kept[e] = order[e];
                }
                Arrays.sort(kept);
                double[][] q = new double[t.blockRows()][n2];
                int e0 = t.entryOffset() + blk * t.keep();
                for (int e = 0; e < kept.length; e++) {
                    int k = kept[e];
                    float v = (float) y[k / n2][k % n2];
                    idx[e0 + e] = (short) k;
                    val[e0 + e] = v;
                    q[k / n2][k % n2] = v;
                }
                addBlock(m, t, blk, idct2(q), -1);
            }
        }
        return new SparseUpdate(blocking, idx, val);
    }

    /// `IDCT(q)` of one update in parameter space.
    public static float[] decompress(SparseUpdate q) {
        return aggregate(q.blocking(), List.of(q), new long[] {1}, RobustMode.NONE);
    }

    /// The aggregated direction: per coefficient, the token-weighted (and, for NORM_CLIP, norm-clipped) mean over
    /// the updates that sent it, or the trimmed version; then the inverse DCT per block.
    public static float[] aggregate(DemoBlocking blocking, List<SparseUpdate> updates, long[] tokens,
                                    RobustMode mode) {
        int n = updates.size();
        double total = 0;
        for (long w : tokens) {
            total += w;
        }
        double[] clip = new double[n];
        Arrays.fill(clip, 1);
        if (mode instanceof RobustMode.NormClip) {
            double[] norms = new double[n];
            for (int u = 0; u < n; u++) {
                double s = 0;
                for (int i = 0; i < updates.get(u).entryCount(); i++) {
                    s += (double) updates.get(u).value(i) * updates.get(u).value(i);
                }
                norms[u] = Math.sqrt(s);
            }
            double[] sorted = norms.clone();
            Arrays.sort(sorted);
            double median = sorted[(n - 1) / 2];
            for (int u = 0; u < n; u++) {
                clip[u] = Math.min(1, median / norms[u]);
            }
        }
        float[] out = new float[blocking.paramCount()];
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            int n2 = t.blockCols();
            for (int blk = 0; blk < t.blockCount(); blk++) {
                List<List<double[]>> sent = new ArrayList<>();
                for (int i = 0; i < t.blockElems(); i++) {
                    sent.add(new ArrayList<>());
                }
                for (int u = 0; u < n; u++) {
                    SparseUpdate q = updates.get(u);
                    for (int e = 0; e < t.keep(); e++) {
                        int i = t.entryOffset() + blk * t.keep() + e;
                        sent.get(q.index(i)).add(new double[] {q.value(i), tokens[u] / total, clip[u], u});
                    }
                }
                double[][] y = new double[t.blockRows()][n2];
                for (int k = 0; k < t.blockElems(); k++) {
                    List<double[]> s = sent.get(k);
                    if (s.isEmpty()) {
                        continue;
                    }
                    int cut = 0;
                    if (mode instanceof RobustMode.TrimmedMean tm) {
                        s.sort(Comparator.<double[]>comparingDouble(a -> a[0]).thenComparingDouble(a -> a[3]));
                        cut = (int) Math.floor(tm.fraction() * s.size());
                    }
                    double sum = 0;
                    double wsum = 0;
                    for (int j = cut; j < s.size() - cut; j++) {
                        double[] a = s.get(j);
                        sum += a[1] * a[2] * a[0];
                        wsum += a[1];
                    }
                    y[k / n2][k % n2] = sum / wsum;
                }
                addBlock(out, t, blk, idct2(y), 1);
            }
        }
        return out;
    }
}
