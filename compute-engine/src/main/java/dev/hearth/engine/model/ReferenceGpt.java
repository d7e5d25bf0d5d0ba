package dev.hearth.engine.model;

import dev.hearth.engine.data.Batch;

/// The plain path: the same GPT-2 as {@link GptCpuBackend}, written as direct loops over positions in
/// double precision with no BLAS and no buffer reuse. It is slow and exists to be obviously right:
/// tests check it against finite differences, and the fast path against it (llm.c keeps `train_gpt2.c`
/// beside its CUDA kernels for the same reason). Exact `tanh`, exact `exp`.
public final class ReferenceGpt {

    private final ModelConfig cfg;
    private final ParameterLayout layout;

    public ReferenceGpt(ModelConfig config) {
        this.cfg = config;
        this.layout = ParameterLayout.gpt(config);
    }

    /// Mean cross-entropy; when `grad` is not null it receives d(loss)/d(params) (overwritten).
    public double lossAndGradient(float[] params, Batch batch, double[] grad) {
        int bsz = batch.size();
        double total = 0;
        if (grad != null) {
            java.util.Arrays.fill(grad, 0);
        }
        double[] p = new double[params.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = params[i];
        }
        // Windows are independent: run each on its own and sum (scaling by 1/(B·T) inside).
        for (int b = 0; b < bsz; b++) {
            total += window(p, batch, b, grad);
        }
        return total;
    }

    private int o(String name) {
        return layout.tensor(name).offset();
    }

    private double window(double[] p, Batch batch, int b, double[] g) {
        int t = batch.context();
        int c = cfg.dModel();
        int nh = cfg.heads();
        int hs = cfg.headSize();
        int v = cfg.vocab();
        int nl = cfg.layers();
        double norm = 1.0 / ((double) batch.size() * t);
        int[] tok = new int[t];
        int[] tgt = new int[t];
        System.arraycopy(batch.inputs(), b * t, tok, 0, t);
        System.arraycopy(batch.targets(), b * t, tgt, 0, t);

        double[][] x = new double[t][c];
        for (int i = 0; i < t; i++) {
            for (int k = 0; k < c; k++) {
                x[i][k] = p[o("wte") + tok[i] * c + k] + p[o("wpe") + i * c + k];
            }
        }
        double[][][] resIn = new double[nl][][];
        double[][][] ln1 = new double[nl][][];
        double[][][] q = new double[nl][][];
        double[][][] kk = new double[nl][][];
        double[][][] vv = new double[nl][][];
        double[][][][] att = new double[nl][][][];
        double[][][] y = new double[nl][][];
        double[][][] res2 = new double[nl][][];
        double[][][] ln2 = new double[nl][][];
        double[][][] fc = new double[nl][][];
        double[][][] gl = new double[nl][][];
        for (int l = 0; l < nl; l++) {
            String pre = "h." + l + ".";
            resIn[l] = x;
            ln1[l] = layerNorm(x, p, o(pre + "ln1.w"), o(pre + "ln1.b"));
            double[][] qkv = linear(ln1[l], p, o(pre + "attn.qkv.w"), o(pre + "attn.qkv.b"), c, 3 * c);
            q[l] = new double[t][c];
            kk[l] = new double[t][c];
            vv[l] = new double[t][c];
            for (int i = 0; i < t; i++) {
                System.arraycopy(qkv[i], 0, q[l][i], 0, c);
                System.arraycopy(qkv[i], c, kk[l][i], 0, c);
                System.arraycopy(qkv[i], 2 * c, vv[l][i], 0, c);
            }
            att[l] = new double[nh][t][t];
            y[l] = new double[t][c];
            for (int h = 0; h < nh; h++) {
                for (int i = 0; i < t; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double s = 0;
                        for (int d = 0; d < hs; d++) {
                            s += q[l][i][h * hs + d] * kk[l][j][h * hs + d];
                        }
                        s /= Math.sqrt(hs);
                        att[l][h][i][j] = s;
                        max = Math.max(max, s);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        att[l][h][i][j] = Math.exp(att[l][h][i][j] - max);
                        sum += att[l][h][i][j];
                    }
                    for (int j = 0; j <= i; j++) {
                        att[l][h][i][j] /= sum;
                        for (int d = 0; d < hs; d++) {
                            y[l][i][h * hs + d] += att[l][h][i][j] * vv[l][j][h * hs + d];
                        }
                    }
                }
            }
            double[][] proj = linear(y[l], p, o(pre + "attn.proj.w"), o(pre + "attn.proj.b"), c, c);
            res2[l] = add(x, proj);
            ln2[l] = layerNorm(res2[l], p, o(pre + "ln2.w"), o(pre + "ln2.b"));
            fc[l] = linear(ln2[l], p, o(pre + "mlp.fc.w"), o(pre + "mlp.fc.b"), c, 4 * c);
            gl[l] = new double[t][4 * c];
            for (int i = 0; i < t; i++) {
                for (int k = 0; k < 4 * c; k++) {
                    gl[l][i][k] = gelu(fc[l][i][k]);
                }
            }
            x = add(res2[l], linear(gl[l], p, o(pre + "mlp.proj.w"), o(pre + "mlp.proj.b"), 4 * c, c));
        }
        double[][] lnf = layerNorm(x, p, o("lnf.w"), o("lnf.b"));
        double[][] logits = linear(lnf, p, o("lm_head.w"), -1, c, v);
        double loss = 0;
        double[][] dlogits = new double[t][v];
        for (int i = 0; i < t; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < v; k++) {
                max = Math.max(max, logits[i][k]);
            }
            double sum = 0;
            for (int k = 0; k < v; k++) {
                sum += Math.exp(logits[i][k] - max);
            }
            loss -= (logits[i][tgt[i]] - max - Math.log(sum)) * norm;
            for (int k = 0; k < v; k++) {
                dlogits[i][k] = Math.exp(logits[i][k] - max) / sum * norm;
            }
            dlogits[i][tgt[i]] -= norm;
        }
        if (g == null) {
            return loss;
        }
        // ---- backward
        double[][] dlnf = linearBack(dlogits, lnf, p, g, o("lm_head.w"), -1, c, v);
        double[][] dx = layerNormBack(dlnf, x, p, g, o("lnf.w"), o("lnf.b"));
        for (int l = nl - 1; l >= 0; l--) {
            String pre = "h." + l + ".";
            double[][] dgl = linearBack(dx, gl[l], p, g, o(pre + "mlp.proj.w"), o(pre + "mlp.proj.b"), 4 * c, c);
            double[][] dfc = new double[t][4 * c];
            for (int i = 0; i < t; i++) {
                for (int k = 0; k < 4 * c; k++) {
                    dfc[i][k] = dgl[i][k] * geluGrad(fc[l][i][k]);
                }
            }
            double[][] dln2 = linearBack(dfc, ln2[l], p, g, o(pre + "mlp.fc.w"), o(pre + "mlp.fc.b"), c, 4 * c);
            double[][] dres2 = add(dx, layerNormBack(dln2, res2[l], p, g, o(pre + "ln2.w"), o(pre + "ln2.b")));
            double[][] dy = linearBack(dres2, y[l], p, g, o(pre + "attn.proj.w"), o(pre + "attn.proj.b"), c, c);
            double[][] dqkv = new double[t][3 * c];
            for (int h = 0; h < nh; h++) {
                for (int i = 0; i < t; i++) {
                    double[] datt = new double[i + 1];
                    double dot = 0;
                    for (int j = 0; j <= i; j++) {
                        for (int d = 0; d < hs; d++) {
                            datt[j] += dy[i][h * hs + d] * vv[l][j][h * hs + d];
                            dqkv[j][2 * c + h * hs + d] += att[l][h][i][j] * dy[i][h * hs + d];
                        }
                        dot += datt[j] * att[l][h][i][j];
                    }
                    for (int j = 0; j <= i; j++) {
                        double ds = att[l][h][i][j] * (datt[j] - dot) / Math.sqrt(hs);
                        for (int d = 0; d < hs; d++) {
                            dqkv[i][h * hs + d] += ds * kk[l][j][h * hs + d];
                            dqkv[j][c + h * hs + d] += ds * q[l][i][h * hs + d];
                        }
                    }
                }
            }
            double[][] dln1 = linearBack(dqkv, ln1[l], p, g, o(pre + "attn.qkv.w"), o(pre + "attn.qkv.b"), c, 3 * c);
            dx = add(dres2, layerNormBack(dln1, resIn[l], p, g, o(pre + "ln1.w"), o(pre + "ln1.b")));
        }
        for (int i = 0; i < t; i++) {
            for (int k = 0; k < c; k++) {
                g[o("wte") + tok[i] * c + k] += dx[i][k];
                g[o("wpe") + i * c + k] += dx[i][k];
            }
        }
        return loss;
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    static double geluGrad(double x) {
        double k = Math.sqrt(2 / Math.PI);
        double th = Math.tanh(k * (x + 0.044715 * x * x * x));
        return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * k * (1 + 3 * 0.044715 * x * x);
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] r = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < a[0].length; k++) {
                r[i][k] = a[i][k] + b[i][k];
            }
        }
        return r;
    }

    private static double[][] linear(double[][] x, double[] p, int w, int b, int in, int out) {
        double[][] r = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < out; j++) {
                double s = b >= 0 ? p[b + j] : 0;
                for (int k = 0; k < in; k++) {
                    s += x[i][k] * p[w + k * out + j];
                }
                r[i][j] = s;
            }
        }
        return r;
    }

    /// Accumulates dW, db into g; returns dx.
    private static double[][] linearBack(double[][] dy, double[][] x, double[] p, double[] g, int w, int b,
                                         int in, int out) {
        double[][] dx = new double[x.length][in];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < out; j++) {
                double d = dy[i][j];
                if (b >= 0) {
                    g[b + j] += d;
                }
                for (int k = 0; k < in; k++) {
                    g[w + k * out + j] += x[i][k] * d;
                    dx[i][k] += p[w + k * out + j] * d;
                }
            }
        }
        return dx;
    }

    private static double[][] layerNorm(double[][] x, double[] p, int w, int b) {
        int c = x[0].length;
        double[][] r = new double[x.length][c];
        for (int i = 0; i < x.length; i++) {
            double m = 0;
            for (double xi : x[i]) {
                m += xi;
            }
            m /= c;
            double var = 0;
            for (double xi : x[i]) {
                var += (xi - m) * (xi - m);
            }
            var /= c;
            double s = 1 / Math.sqrt(var + GptCpuBackend.LN_EPS);
            for (int k = 0; k < c; k++) {
                r[i][k] = (x[i][k] - m) * s * p[w + k] + p[b + k];
            }
        }
        return r;
    }

    private static double[][] layerNormBack(double[][] dy, double[][] x, double[] p, double[] g, int w, int b) {
        int c = x[0].length;
        double[][] dx = new double[x.length][c];
        for (int i = 0; i < x.length; i++) {
            double m = 0;
            for (double xi : x[i]) {
                m += xi;
            }
            m /= c;
            double var = 0;
            for (double xi : x[i]) {
                var += (xi - m) * (xi - m);
            }
            var /= c;
            double s = 1 / Math.sqrt(var + GptCpuBackend.LN_EPS);
            double[] xhat = new double[c];
            double[] dxhat = new double[c];
            double meanD = 0;
            double meanDx = 0;
            for (int k = 0; k < c; k++) {
                xhat[k] = (x[i][k] - m) * s;
                dxhat[k] = dy[i][k] * p[w + k];
                g[w + k] += dy[i][k] * xhat[k];
                g[b + k] += dy[i][k];
                meanD += dxhat[k] / c;
                meanDx += dxhat[k] * xhat[k] / c;
            }
            for (int k = 0; k < c; k++) {
                dx[i][k] = s * (dxhat[k] - meanD - xhat[k] * meanDx);
            }
        }
        return dx;
    }
}
