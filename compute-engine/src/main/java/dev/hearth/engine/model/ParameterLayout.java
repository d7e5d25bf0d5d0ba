package dev.hearth.engine.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/// The stable order of every parameter tensor inside the one flat float vector that the engine,
/// the DeMo codec, checkpoints and the coordinator all share. Changing this order changes the
/// meaning of every checkpoint and update, so it is versioned by {@link #FORMAT_VERSION}.
///
/// Matrices are stored row-major as `[in, out]` so that a linear layer is `y = x·W + b`.
public final class ParameterLayout {

    /// Bump when the order or the shapes below change.
    public static final int FORMAT_VERSION = 1;

    /// One named tensor: its shape and where it starts in the flat vector.
    public record Tensor(String name, int[] shape, int offset) {
        public int size() {
            int n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        public boolean isMatrix() {
            return shape.length == 2;
        }

        public int rows() {
            return shape[0];
        }

        public int cols() {
            return shape.length == 2 ? shape[1] : 1;
        }
    }

    private final List<Tensor> tensors;
    private final int size;

    private ParameterLayout(List<Tensor> tensors, int size) {
        this.tensors = Collections.unmodifiableList(tensors);
        this.size = size;
    }

    /// The GPT-2 layout for a config:
    /// `wte [V,C]`, `wpe [T,C]`, then per block `h.i.ln1.w [C]`, `h.i.ln1.b [C]`,
    /// `h.i.attn.qkv.w [C,3C]`, `h.i.attn.qkv.b [3C]`, `h.i.attn.proj.w [C,C]`, `h.i.attn.proj.b [C]`,
    /// `h.i.ln2.w [C]`, `h.i.ln2.b [C]`, `h.i.mlp.fc.w [C,4C]`, `h.i.mlp.fc.b [4C]`,
    /// `h.i.mlp.proj.w [4C,C]`, `h.i.mlp.proj.b [C]`; then `lnf.w [C]`, `lnf.b [C]`, `lm_head.w [C,V]`.
    /// The output projection is not tied to `wte` (one fewer shared gradient to get wrong).
    public static ParameterLayout gpt(ModelConfig c) {
        var b = new Builder();
        int C = c.dModel();
        b.add("wte", c.vocab(), C);
        b.add("wpe", c.context(), C);
        for (int i = 0; i < c.layers(); i++) {
            String p = "h." + i + ".";
            b.add(p + "ln1.w", C);
            b.add(p + "ln1.b", C);
            b.add(p + "attn.qkv.w", C, 3 * C);
            b.add(p + "attn.qkv.b", 3 * C);
            b.add(p + "attn.proj.w", C, C);
            b.add(p + "attn.proj.b", C);
            b.add(p + "ln2.w", C);
            b.add(p + "ln2.b", C);
            b.add(p + "mlp.fc.w", C, 4 * C);
            b.add(p + "mlp.fc.b", 4 * C);
            b.add(p + "mlp.proj.w", 4 * C, C);
            b.add(p + "mlp.proj.b", C);
        }
        b.add("lnf.w", C);
        b.add("lnf.b", C);
        b.add("lm_head.w", C, c.vocab());
        return b.build();
    }

    public List<Tensor> tensors() {
        return tensors;
    }

    /// Total number of parameters (floats) in the flat vector.
    public int size() {
        return size;
    }

    public Tensor tensor(String name) {
        for (Tensor t : tensors) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no tensor named " + name);
    }

    private static final class Builder {
        private final List<Tensor> tensors = new ArrayList<>();
        private int offset;

        void add(String name, int... shape) {
            Tensor t = new Tensor(name, shape.clone(), offset);
            tensors.add(t);
            offset = Math.addExact(offset, t.size());
        }

        ParameterLayout build() {
            return new ParameterLayout(new ArrayList<>(tensors), offset);
        }
    }
}
