package dev.hearth.engine.demo;

import dev.hearth.engine.model.ParameterLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/// How every tensor of a {@link ParameterLayout} is cut into DCT blocks and how many coefficients each block
/// keeps; shared by the compressor, the codec and the aggregator so that all three agree on where entry `i` of a
/// {@link SparseUpdate} lives.
///
/// Follows the DeMo reference's `TransformDCT`: each dimension `d` gets the chunk `largest divisor of d ≤ blockSize`,
/// a matrix `[rows, cols]` is cut into `(rows/n1) × (cols/n2)` blocks of `n1 × n2`, ordered block-row by block-row
/// (`"(y h) (x w) -> y x h w"`), and the index of coefficient `(b, d)` inside a block is `b·n2 + d`. A vector is
/// treated as a `[1, length]` matrix, which gives `n1 = 1` and 1-D blocks of `n2`.
public final class DemoBlocking {

    /// The blocking of one tensor.
    ///
    /// @param tensorIndex  position of the tensor in the layout
    /// @param offset       where the tensor starts in the flat parameter vector
    /// @param rows         matrix rows (1 for a vector)
    /// @param cols         matrix columns (the length of a vector)
    /// @param blockRows    n1: block height, a divisor of rows
    /// @param blockCols    n2: block width, a divisor of cols
    /// @param keep         coefficients kept per block: `min(k, n1·n2)` (the reference's `_clamp_topk`)
    /// @param entryOffset  index of this tensor's first entry in a {@link SparseUpdate}
    /// @param blockOffset  index of this tensor's first block among all blocks of the layout
    public record TensorBlocks(int tensorIndex, int offset, int rows, int cols, int blockRows, int blockCols,
                               int keep, int entryOffset, int blockOffset) {

        public int blocksDown() {
            return rows / blockRows;
        }

        public int blocksAcross() {
            return cols / blockCols;
        }

        public int blockCount() {
            return blocksDown() * blocksAcross();
        }

        /// Coefficients in one block (the exclusive bound of a within-block index).
        public int blockElems() {
            return blockRows * blockCols;
        }

        public int entryCount() {
            return blockCount() * keep;
        }

        public int size() {
            return rows * cols;
        }
    }

    /// One unit of work: `blocks` side-by-side blocks of one block row of a tensor (a slab `n1 × blocks·n2`).
    ///
    /// @param tensor   the tensor's blocking
    /// @param blockRow y: which block row
    /// @param firstCol x of the first block in the tile
    /// @param blocks   number of blocks in the tile
    /// @param packedOffset where the tile's coefficients start in a tile-major packed coefficient vector (each
    ///                 tile's `n1·n2·blocks` coefficients contiguous, in {@link TransformDct}'s transposed packing)
    public record Tile(TensorBlocks tensor, int blockRow, int firstCol, int blocks, int packedOffset) {

        /// Coefficients in the tile.
        public int size() {
            return tensor.blockRows() * width();
        }

        /// Distance between consecutive column frequencies d in the packed tile: `blocks·n1`.
        public int packedStride() {
            return blocks * tensor.blockRows();
        }

        /// Packed position of within-block index `idx` of the tile's block `x`.
        public int packedPosition(int x, int idx) {
            int n2 = tensor.blockCols();
            return packedOffset + (idx % n2) * packedStride() + x * tensor.blockRows() + idx / n2;
        }

        /// Slab width in columns.
        public int width() {
            return blocks * tensor.blockCols();
        }

        /// Index of the slab's first element in the flat vector.
        public int offset() {
            return tensor.offset() + blockRow * tensor.blockRows() * tensor.cols() + firstCol * tensor.blockCols();
        }

        /// Layout-wide index (within the tensor) of the tile's first block.
        public int firstBlock() {
            return blockRow * tensor.blocksAcross() + firstCol;
        }

        /// Index of the tile's first entry in a {@link SparseUpdate}.
        public int entryOffset() {
            return tensor.entryOffset() + firstBlock() * tensor.keep();
        }
    }

    /// Target width of a tile in tensor columns: 256 floats (1 KiB) per row keeps the rows that one step of the
    /// transform touches (~32 of them) inside L1/L2 while giving the JIT loops long enough for 16-wide vectors.
    static final int TILE_COLUMNS = 256;

    private final ParameterLayout layout;
    private final int blockSize;
    private final int topK;
    private final List<TensorBlocks> tensors;
    private final int entryCount;
    private final int blockCount;
    private final long fingerprint;
    private final List<Tile> tiles;
    private final int maxSlabFloats;
    private final int maxEdge;
    private final int maxWidth;

    public DemoBlocking(ParameterLayout layout, DemoConfig config) {
        this(layout, config.blockSize(), config.topK());
    }

    DemoBlocking(ParameterLayout layout, int blockSize, int topK) {
        this.layout = layout;
        this.blockSize = blockSize;
        this.topK = topK;
        var list = new ArrayList<TensorBlocks>();
        long entries = 0;
        long blocks = 0;
        List<ParameterLayout.Tensor> ts = layout.tensors();
        for (int i = 0; i < ts.size(); i++) {
            ParameterLayout.Tensor t = ts.get(i);
            if (t.shape().length < 1 || t.shape().length > 2) {
                throw new IllegalArgumentException("DeMo blocks 1-D and 2-D tensors only; " + t.name() + " has rank "
                        + t.shape().length);
            }
            int rows = t.isMatrix() ? t.rows() : 1;
            int cols = t.isMatrix() ? t.cols() : t.shape()[0];
            int n1 = chunkFor(rows, blockSize);
            int n2 = chunkFor(cols, blockSize);
            int keep = Math.min(topK, n1 * n2);
            var tb = new TensorBlocks(i, t.offset(), rows, cols, n1, n2, keep, Math.toIntExact(entries),
                    Math.toIntExact(blocks));
            list.add(tb);
            entries += tb.entryCount();
            blocks += tb.blockCount();
        }
        this.tensors = Collections.unmodifiableList(list);
        this.entryCount = Math.toIntExact(entries);
        this.blockCount = Math.toIntExact(blocks);
        this.fingerprint = fingerprint(layout);
        var tl = new ArrayList<Tile>();
        int maxSlab = 1;
        int maxEdge = 1;
        int maxWidth = 1;
        int packed = 0;
        for (TensorBlocks t : list) {
            int perTile = Math.max(1, TILE_COLUMNS / t.blockCols());
            for (int y = 0; y < t.blocksDown(); y++) {
                for (int x = 0; x < t.blocksAcross(); x += perTile) {
                    Tile tile = new Tile(t, y, x, Math.min(perTile, t.blocksAcross() - x), packed);
                    tl.add(tile);
                    packed += tile.size();
                    maxSlab = Math.max(maxSlab, tile.size());
                    int edge = Math.max(t.blockRows(), t.blockCols());
                    maxEdge = Math.max(maxEdge, edge);
                    maxWidth = Math.max(maxWidth, edge * tile.blocks());
                }
            }
        }
        this.tiles = Collections.unmodifiableList(tl);
        this.maxSlabFloats = maxSlab;
        this.maxEdge = maxEdge;
        this.maxWidth = maxWidth;
    }

    /// A fresh transform workspace large enough for every tile (one per thread).
    public TransformDct.Workspace newWorkspace() {
        return new TransformDct.Workspace(maxEdge, maxWidth);
    }

    /// Every tile of the layout, tensor by tensor, block row by block row: independent units of work whose
    /// results do not depend on the order or thread they run on.
    public List<Tile> tiles() {
        return tiles;
    }

    /// Floats in the largest tile's slab (scratch size for one thread).
    public int maxSlabFloats() {
        return maxSlabFloats;
    }

    /// The largest divisor of `dim` that is ≤ `target` (the reference's `_get_smaller_split`); `dim` itself when it
    /// is not larger than the target.
    public static int chunkFor(int dim, int target) {
        if (dim <= target) {
            return dim;
        }
        for (int c = target; c > 1; c--) {
            if (dim % c == 0) {
                return c;
            }
        }
        return 1;
    }

    /// FNV-1a 64 over the layout's format version, tensor names and shapes: two layouts with the same fingerprint
    /// mean the same flat vector, so an update made for one can be applied to the other.
    public static long fingerprint(ParameterLayout layout) {
        long h = 0xcbf29ce484222325L;
        h = fnv(h, ParameterLayout.FORMAT_VERSION);
        for (ParameterLayout.Tensor t : layout.tensors()) {
            for (byte b : t.name().getBytes(StandardCharsets.UTF_8)) {
                h = fnv(h, b & 0xFF);
            }
            h = fnv(h, t.shape().length);
            for (int d : t.shape()) {
                h = fnv(h, d);
            }
        }
        return h;
    }

    private static long fnv(long h, int v) {
        for (int s = 0; s < 32; s += 8) {
            h ^= (v >>> s) & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    public ParameterLayout layout() {
        return layout;
    }

    public int blockSize() {
        return blockSize;
    }

    public int topK() {
        return topK;
    }

    public List<TensorBlocks> tensors() {
        return tensors;
    }

    /// Entries (kept coefficients) in one update over the whole layout.
    public int entryCount() {
        return entryCount;
    }

    public int blockCount() {
        return blockCount;
    }

    public long fingerprint() {
        return fingerprint;
    }

    public int paramCount() {
        return layout.size();
    }

    /// True if `other` cuts the same layout the same way (updates of one fit the other).
    public boolean sameAs(DemoBlocking other) {
        return other == this || (other.fingerprint == fingerprint && other.blockSize == blockSize
                && other.topK == topK && other.paramCount() == paramCount());
    }
}
