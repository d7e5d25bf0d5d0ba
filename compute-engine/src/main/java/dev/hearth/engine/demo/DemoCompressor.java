package dev.hearth.engine.demo;

import dev.hearth.engine.model.ParameterLayout;
import java.util.List;
import java.util.stream.IntStream;

/// The sending half of DeMo (the reference's `DeMo.step` up to the all-gather): per call,
/// `m ← β·m + g`, DCT-II over blocks, keep the top-k coefficients per block, `m ← m − IDCT(q)`, return `q`.
///
/// The momentum is kept *in the DCT domain*: the transform is linear and orthonormal, so
/// `DCT(β·m + g) = β·DCT(m) + DCT(g)` and subtracting `IDCT(q)` from `m` is zeroing the k sent coefficients of
/// `DCT(m)`. That saves the inverse transform of every step (half the work) and is the same algorithm up to float
/// rounding. {@link #momentum()} converts back to parameter space for checkpoints.
///
/// The residual subtracts the full-precision `q`, as the reference does; quantization to 1-bit/fp16 happens only
/// on the wire ({@link UpdateCodec}).
///
/// Not thread-safe: one compressor per worker. Uses the common fork-join pool for the tiles of one call.
public final class DemoCompressor {

    private final DemoBlocking blocking;
    private final DemoConfig config;
    /// DCT coefficients of the momentum, tile-major in transposed packing (see {@link DemoBlocking.Tile}).
    private final float[] momentumDct;
    private final ThreadLocal<Scratch> scratch;
    /// Per block, a guess of next step's k-th largest magnitude for {@link CompressDct}'s candidate pass: a speed
    /// hint only (the selection is exact whatever it holds), so it is not part of the checkpointed state.
    private final float[] blockFloor;

    /// The floor for a block's next step as a share of its current k-th largest magnitude. With β near 1 the
    /// threshold moves little between steps. Measured on `small` in the steady state, one thread, ms per step:
    /// no floor 95, share 0.8 → 97, 0.9 → 88, 0.95 → 81, 1.0 → 81; 0.95 keeps a margin for a falling threshold.
    static final float FLOOR_SHARE = 0.95f;

    private static final class Scratch {
        final TransformDct.Workspace work;
        final CompressDct.Scratch heap;

        Scratch(TransformDct.Workspace work, int k) {
            this.work = work;
            heap = new CompressDct.Scratch(k);
        }
    }

    public DemoCompressor(ParameterLayout layout, DemoConfig config) {
        this.blocking = new DemoBlocking(layout, config);
        this.config = config;
        this.momentumDct = new float[layout.size()];
        this.blockFloor = new float[blocking.blockCount()];
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(blocking.newWorkspace(), config.topK()));
    }

    public DemoBlocking blocking() {
        return blocking;
    }

    public DemoConfig config() {
        return config;
    }

    /// Folds one gradient into the momentum and extracts the update to send.
    ///
    /// @param grad the gradient in the layout's flat order; not modified
    /// @return the top-k DCT coefficients per block (full precision)
    /// @throws IllegalArgumentException if grad has the wrong length or a non-finite value (the momentum is then
    ///                                  unchanged: a NaN would poison it for every later step)
    public SparseUpdate compress(float[] grad) {
        requireFiniteVector(grad, "gradient");
        short[] idx = new short[blocking.entryCount()];
        float[] val = new float[blocking.entryCount()];
        float beta = config.beta();
        List<DemoBlocking.Tile> tiles = blocking.tiles();
        IntStream.range(0, tiles.size()).parallel().forEach(i -> {
            DemoBlocking.Tile tile = tiles.get(i);
            DemoBlocking.TensorBlocks t = tile.tensor();
            Scratch s = scratch.get();
            int n1 = t.blockRows();
            int n2 = t.blockCols();
            int po = tile.packedOffset();
            float[] m = momentumDct;
            TransformDct.accumulateTile(grad, tile.offset(), t.cols(), n1, n2, tile.blocks(), beta, m, po, s.work);
            int keep = t.keep();
            int stride = tile.packedStride();
            for (int x = 0; x < tile.blocks(); x++) {
                int base = po + x * n1;
                int e0 = tile.entryOffset() + x * keep;
                int block = t.blockOffset() + tile.firstBlock() + x;
                float kth = CompressDct.selectTopK(m, base, stride, n1, n2, keep, idx, val, e0, s.heap,
                        blockFloor[block]);
                blockFloor[block] = kth * FLOOR_SHARE;
                for (int e = 0; e < keep; e++) {
                    m[CompressDct.position(base, stride, n2, idx[e0 + e] & 0xFFFF)] = 0f;
                }
            }
        });
        return new SparseUpdate(blocking, idx, val);
    }

    /// The momentum/residual `m` in parameter space (a fresh array), for checkpoints.
    public float[] momentum() {
        float[] m = new float[momentumDct.length];
        List<DemoBlocking.Tile> tiles = blocking.tiles();
        IntStream.range(0, tiles.size()).parallel().forEach(i -> {
            DemoBlocking.Tile tile = tiles.get(i);
            DemoBlocking.TensorBlocks t = tile.tensor();
            TransformDct.inverseTile(momentumDct, tile.packedOffset(), t.blockRows(), t.blockCols(), tile.blocks(), m,
                    tile.offset(), t.cols(), scratch.get().work);
        });
        return m;
    }

    /// Replaces the momentum with `m` (parameter space), from a checkpoint or after a worker restart.
    ///
    /// @throws IllegalArgumentException if m has the wrong length or a non-finite value
    public void restoreMomentum(float[] m) {
        requireFiniteVector(m, "momentum");
        java.util.Arrays.fill(blockFloor, 0f);
        List<DemoBlocking.Tile> tiles = blocking.tiles();
        IntStream.range(0, tiles.size()).parallel().forEach(i -> {
            DemoBlocking.Tile tile = tiles.get(i);
            DemoBlocking.TensorBlocks t = tile.tensor();
            TransformDct.forwardTile(m, tile.offset(), t.cols(), t.blockRows(), t.blockCols(), tile.blocks(),
                    momentumDct, tile.packedOffset(), scratch.get().work);
        });
    }

    private void requireFiniteVector(float[] v, String what) {
        if (v.length != momentumDct.length) {
            throw new IllegalArgumentException(what + " has " + v.length + " values, the layout has "
                    + momentumDct.length + " parameters");
        }
        int bad = IntStream.range(0, tileCountFor(v.length)).parallel()
                .map(c -> firstNonFinite(v, c * CHECK_CHUNK, Math.min(v.length, (c + 1) * CHECK_CHUNK)))
                .filter(p -> p >= 0).min().orElse(-1);
        if (bad >= 0) {
            throw new IllegalArgumentException(what + " holds " + v[bad] + " at index " + bad + " ("
                    + tensorNameAt(bad) + "); refusing to fold it into the momentum");
        }
    }

    /// Floats per chunk of the parallel finiteness check (1 Mi floats = 4 MiB: few tasks, each long).
    private static final int CHECK_CHUNK = 1 << 20;

    private static int tileCountFor(int n) {
        return (n + CHECK_CHUNK - 1) / CHECK_CHUNK;
    }

    private static int firstNonFinite(float[] v, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(v[i])) {
                return i;
            }
        }
        return -1;
    }

    private String tensorNameAt(int pos) {
        for (ParameterLayout.Tensor t : blocking.layout().tensors()) {
            if (pos >= t.offset() && pos < t.offset() + t.size()) {
                return t.name();
            }
        }
        return "?";
    }
}
