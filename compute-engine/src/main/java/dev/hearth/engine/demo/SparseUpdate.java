package dev.hearth.engine.demo;

import java.util.Objects;

/// One node's compressed DeMo update `q`: for every block of every tensor (in {@link DemoBlocking} order), the
/// within-block indices of the kept DCT coefficients (strictly increasing) and their values.
///
/// Entry `e` of block `j` of tensor `t` is at `t.entryOffset() + j·t.keep() + e`. Indices are unsigned 16-bit
/// (`index(i)` widens them); values are full precision after {@link DemoCompressor#compress} and the quantized
/// wire values after {@link UpdateCodec#decode}.
///
/// Arrays are owned by the update: callers must not change them after construction (there is no defensive copy,
/// because an update of a 124M-parameter model holds ~1M entries).
public final class SparseUpdate {

    private final DemoBlocking blocking;
    private final short[] indices;
    private final float[] values;

    /// @throws IllegalArgumentException if the arrays do not hold exactly the blocking's entry count, or an index
    ///                                  is outside its block or not strictly increasing within it
    public SparseUpdate(DemoBlocking blocking, short[] indices, float[] values) {
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        if (indices.length != blocking.entryCount() || values.length != blocking.entryCount()) {
            throw new IllegalArgumentException("sparse update holds " + indices.length + " indices and " + values.length
                    + " values, the blocking needs " + blocking.entryCount() + " of each");
        }
        requireCanonicalIndices(blocking, indices);
        this.indices = indices;
        this.values = values;
    }

    /// Every index inside its block and strictly increasing within the block: an index past the block would land
    /// in a neighbour's coefficients during aggregation, a repeated one would count its sender twice.
    private static void requireCanonicalIndices(DemoBlocking blocking, short[] indices) {
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            int keep = t.keep();
            int elems = t.blockElems();
            for (int blk = 0; blk < t.blockCount(); blk++) {
                int e0 = t.entryOffset() + blk * keep;
                int previous = -1;
                for (int e = 0; e < keep; e++) {
                    int k = indices[e0 + e] & 0xFFFF;
                    if (k >= elems || k <= previous) {
                        throw new IllegalArgumentException("tensor " + t.tensorIndex() + " block " + blk + ": index "
                                + k + (k >= elems ? " out of range (block has " + elems + ")"
                                : " not after " + previous + " (indices must be strictly increasing)"));
                    }
                    previous = k;
                }
            }
        }
    }

    public DemoBlocking blocking() {
        return blocking;
    }

    public int entryCount() {
        return indices.length;
    }

    /// Within-block index of entry i, in `[0, blockElems)`.
    public int index(int i) {
        return indices[i] & 0xFFFF;
    }

    public float value(int i) {
        return values[i];
    }

    /// The raw index array (uint16 in shorts); read-only by contract.
    short[] indexArray() {
        return indices;
    }

    /// The raw value array; read-only by contract.
    float[] valueArray() {
        return values;
    }

    /// L2 norm of the update; the DCT is orthonormal, so this is also the norm of its parameter-space
    /// contribution `IDCT(q)`.
    public double l2Norm() {
        double s = 0;
        for (float v : values) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    /// True if every value is finite (neither NaN nor infinite).
    public boolean isFinite() {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /// The update as dense DCT coefficients laid out like the parameters: coefficient `(b, d)` of block `(y, x)`
    /// at the flat position of element `(y·n1 + b, x·n2 + d)` (for inspection and tests).
    public float[] toDenseCoefficients() {
        float[] dense = new float[blocking.paramCount()];
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            int across = t.blocksAcross();
            for (int blk = 0; blk < t.blockCount(); blk++) {
                int by = blk / across;
                int bx = blk % across;
                int base = t.offset() + by * t.blockRows() * t.cols() + bx * t.blockCols();
                int e0 = t.entryOffset() + blk * t.keep();
                for (int e = 0; e < t.keep(); e++) {
                    int idx = indices[e0 + e] & 0xFFFF;
                    dense[base + (idx / t.blockCols()) * t.cols() + idx % t.blockCols()] = values[e0 + e];
                }
            }
        }
        return dense;
    }
}
