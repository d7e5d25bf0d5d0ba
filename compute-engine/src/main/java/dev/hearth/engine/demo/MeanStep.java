package dev.hearth.engine.demo;

import com.google.protobuf.ByteString;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.wire.OuterStepKind;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/// The outer step of the `mean` mode (SparseLoCo style: Sarfi et al. 2025, "SparseLoCo: Communication-Efficient
/// LLM Training"): nodes send the DeMo-compressed *pseudo-gradient* of several local AdamW steps, and the run
/// applies the token-weighted mean of those coefficients itself, `θ ← θ − lr·wd·θ − lr·IDCT(mean q)`, instead of
/// its sign ({@link SignStep}).
///
/// The mean is over **all** updates of the round: a coefficient a node did not send counts as 0 for it (its
/// residual still holds it and sends it later, which is the error feedback). {@link DemoAggregator}'s mean over
/// the senders only suits the sign step, which discards magnitudes anyway.
///
/// The coordinator sends the mean coefficients (not the dense step) and applies the step through
/// {@link #apply} on the very bytes it sends, so every node computes bit-identical parameters (Java float
/// arithmetic is IEEE-754 without extended precision, the transform is the same code, each tile is independent).
///
/// Encoding (all little-endian): byte 0 = {@link #FORMAT}; then per block, in the blocking's tile order and block
/// order within a tile: int32 count, `count` × uint16 within-block indices in strictly ascending order, `count` ×
/// float32 values, all finite. Nothing may follow the last block.
///
/// As an {@link OuterRule}: `localSteps` inner steps, the scheduled (inner AdamW) rate in RoundStart and the
/// constant `outerLr` in RoundCommit, the encoded coefficients in `RoundCommit.mean_step`. The inner decay is in
/// the pseudo-gradients already, so the step itself applies none.
///
/// @param localSteps       inner AdamW steps per round, in [1, {@link #MAX_LOCAL_STEPS}]
/// @param outerLr          the outer step's constant rate, finite and > 0
/// @param innerWeightDecay the inner AdamW's decoupled weight decay, in [0, 1]
public record MeanStep(int localSteps, double outerLr, double innerWeightDecay) implements OuterRule {

    /// The rule's name in a run's config.
    public static final String NAME = "mean";

    /// Most inner steps per round: each is a forward/backward over a share of the round's windows (one window at
    /// least); SparseLoCo uses tens, and more than this many per upload is a configuration mistake.
    public static final int MAX_LOCAL_STEPS = 256;

    /// The mean step's defaults, chosen by the quality sweep on `nano` (docs/benchmarks.md, "The mean outer step"):
    /// 8 inner steps of 8 windows each (as the sign step's 8 per round), k 64, outer rate 1.5; the inner AdamW with
    /// the dense baseline's nanoGPT settings (1e-3 → 1e-4, decay 0.1) and the 3-round warm-up the sweep measured.
    public static final Defaults DEFAULTS = new Defaults(8, 1.5, 0.1, 8 * 8, 64, 1e-3, 1e-4, 3);
    /// The mean step with its default settings.
    public static final MeanStep DEFAULT = new MeanStep(DEFAULTS.localSteps(), DEFAULTS.outerLr(),
            DEFAULTS.weightDecay());

    /// 20: an honest update's step alone, relative to `‖θ‖`, per unit of `outer_lr × lr_max × √local_steps`, at
    /// most. AdamW moves each parameter by about `lr` per inner step and the outer rate scales the step; over local
    /// steps the moves add up less than linearly (they partly cancel, and top-k compression keeps the largest), and
    /// `√local_steps` fits what was measured on `nano` (outer 1.5, lr_max 1e-3): with 8 local steps honest updates
    /// alone moved the model 0.049–0.068 of `‖θ‖` in LocalRunIntegrationTest (3 nodes, 10 rounds) and 0.042–0.076
    /// in the reliability bench's process-fault run (4 nodes, 48 rounds), at most 17.9 per unit; with 3 local steps,
    /// 0.033–0.050 in the mean-step Byzantine scenario's clean run (12 nodes, 11 rounds), at most 19.2 per unit.
    /// Rounded up. (Linear in local steps, the 3-step bound would have been 1.2× the honest figure.)
    public static final double HONEST_STEP_PER_UNIT = 20;
    /// The agreement screen drops an update below 0.1 × its round's median agreement ({@link #agreementFraction}).
    /// Measured in the mean-step Byzantine runs (docs/reliability.md, 8 nodes, 8 rounds of `nano`, 376 honest
    /// updates): honest updates at ≥ 0.164 of their round's median (all the lowest in round 1; 5th percentile 0.57),
    /// random ones (random values at the real indices with the real magnitudes) within ±0.049 of it, sign-flipped ones
    /// at ≤ −0.168. 0.1 leaves a factor 1.6 to the honest side and 2 to the random side; the sign flips are far below.
    public static final double AGREEMENT_FRACTION = 0.1;
    /// 2×: the bound is twice the largest honest figure, for rounds and settings other than the measured ones (the
    /// bound with the defaults is 0.170, the largest honest update measured 0.076). An update beyond it is not an
    /// honest one.
    public static final double HEADROOM = 2.0;

    /// Format byte of the encoding above.
    public static final byte FORMAT = 1;

    /// Coefficients a block may carry at most: an eighth of a large block, or every coefficient of a block of at
    /// most {@link #SMALL_BLOCK} (the 1-D tensors' 64-long blocks are few parameters but every node sends most of
    /// them). Bounds the commit at ~0.75 bytes per parameter (see {@link #maxEncodedBytes}) whatever the number of
    /// nodes; when more distinct coefficients arrive, the largest means are kept.
    static final int BLOCK_SHARE_DIVISOR = 8;
    /// Blocks this small are committed whole (see {@link #BLOCK_SHARE_DIVISOR}).
    static final int SMALL_BLOCK = 64;

    private static final int BYTES_PER_ENTRY = Short.BYTES + Float.BYTES;

    public MeanStep {
        if (localSteps < 1 || localSteps > MAX_LOCAL_STEPS) {
            throw new IllegalArgumentException("the mean step takes 1.." + MAX_LOCAL_STEPS + " local steps, got "
                    + localSteps);
        }
        if (!(outerLr > 0 && Double.isFinite(outerLr))) {
            throw new IllegalArgumentException("the mean step's outer lr must be finite and above 0, got " + outerLr);
        }
        if (!(innerWeightDecay >= 0 && innerWeightDecay <= 1)) {
            throw new IllegalArgumentException("the inner weight decay must be in [0, 1], got " + innerWeightDecay);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /// The inner AdamW's: the step itself applies none.
    @Override
    public double weightDecay() {
        return innerWeightDecay;
    }

    @Override
    public float commitLr(float scheduledLr) {
        return (float) outerLr;
    }

    /// A quarter ({@link OuterRule#SPOT_CHECK_PROBE}) of the update's own part of the round's mean, `share ×
    /// outer_lr`: the round applies `outer_lr·Σ wᵢuᵢ/Σ wᵢ`, so update `i` moves the model by `outer_lr·(wᵢ/Σ w)·uᵢ`
    /// in it. At the whole outer rate (1.5 by default) one update alone is `1/share` times that (0.050 of ‖θ‖ against
    /// the round's 0.017 with 12 nodes) and overshoots on its own batch in both directions, so the antithetic check
    /// struck honest nodes (12 honest updates dropped in rounds 7–9 of the mean-step Byzantine scenario's clean run,
    /// one honest node quarantined; docs/reliability.md). At the share itself it still struck one now and then (the
    /// reliability bench's round 8: "loss 4.3154 → 4.4193, its negation gives 4.3768"), which a quarter of it passes
    /// at first order (docs/reliability.md, "The probe's size").
    @Override
    public float spotCheckLr(float commitLr, double share) {
        return (float) (commitLr * share * SPOT_CHECK_PROBE);
    }

    /// Its checks are at a quarter of the update's share of the rate (first order), where honest gaps of a round are
    /// alike.
    @Override
    public boolean comparesSpotCheckGaps() {
        return true;
    }

    @Override
    public long maxStepBytes(DemoBlocking blocking) {
        return maxEncodedBytes(blocking);
    }

    @Override
    public byte[] step(DemoBlocking blocking, List<SparseUpdate> updates, long[] tokenWeights, RobustMode mode) {
        // nothing usable: an empty step (the inner decay is in the nodes' pseudo-gradients)
        return updates.isEmpty() ? empty(blocking) : aggregate(blocking, updates, tokenWeights, mode);
    }

    @Override
    public void applyStep(DemoBlocking blocking, float[] params, byte[] step, float lr)
            throws MalformedUpdateException {
        apply(blocking, params, step, lr, 0f);
    }

    /// How far one update alone — and so the round's step, a weighted mean of its updates' steps — may move the
    /// model, relative to `‖θ‖`: {@link #HEADROOM} × {@link #HONEST_STEP_PER_UNIT} × `lr × lrMax × √localSteps`
    /// (0.170 with the defaults), whatever the number of updates.
    @Override
    public double stepBound(double lr, double lrMax, int params, double paramsNorm) {
        return HEADROOM * HONEST_STEP_PER_UNIT * lr * lrMax * Math.sqrt(localSteps);
    }

    /// {@link #AGREEMENT_FRACTION}.
    @Override
    public double agreementFraction() {
        return AGREEMENT_FRACTION;
    }

    /// `lr·‖u‖`: the DCT is orthonormal, so an update's coefficient norm is its step's norm in parameter space.
    @Override
    public double aloneStepNorm(SparseUpdate update, double lr) {
        return lr * update.l2Norm();
    }

    /// Not the trimmed mean: it is defined over the senders of each coefficient, and this step averages over all
    /// updates (a coefficient not sent counts as 0).
    @Override
    public void requireSupported(RobustMode mode) {
        if (mode instanceof RobustMode.TrimmedMean) {
            throw new SettingException("robust", "trimmed_mean is defined over the senders of each coefficient and"
                    + " needs optimizer.outer = \"sign\"; with the mean step use mean or norm_clip");
        }
    }

    @Override
    public Defaults defaults() {
        return DEFAULTS;
    }

    @Override
    public OuterRule withSettings(int localSteps, double outerLr, double weightDecay) {
        if (outerLr == 0) {
            throw new SettingException("outer_lr", "must be above 0 with optimizer.outer = \"mean\"");
        }
        return new MeanStep(localSteps, outerLr, weightDecay);
    }

    @Override
    public RunConfig.Builder describe(RunConfig.Builder config) {
        return config.setOuterStep(OuterStepKind.OUTER_MEAN).setLocalSteps(localSteps).setOuterLr(outerLr)
                .setWeightDecay(innerWeightDecay);
    }

    @Override
    public RoundCommit.Builder putStep(RoundCommit.Builder commit, byte[] step) {
        return commit.setMeanStep(ByteString.copyFrom(step));
    }

    @Override
    public byte[] stepOf(RoundCommit commit) throws MalformedUpdateException {
        if (commit.getStepCase() != RoundCommit.StepCase.MEAN_STEP) {
            throw new MalformedUpdateException("the run applies the mean step but the commit carries "
                    + commit.getStepCase());
        }
        return commit.getMeanStep().toByteArray();
    }

    /// Most coefficients one block of `blockElems` coefficients may carry.
    public static int blockCap(int blockElems) {
        return blockElems <= SMALL_BLOCK ? blockElems : Math.max(SMALL_BLOCK, blockElems / BLOCK_SHARE_DIVISOR);
    }

    /// Largest possible encoding for a blocking: what the run must be able to send in one RoundCommit.
    public static long maxEncodedBytes(DemoBlocking blocking) {
        long bytes = 1;
        for (DemoBlocking.TensorBlocks t : blocking.tensors()) {
            bytes += (long) t.blockCount() * (Integer.BYTES + (long) blockCap(t.blockElems()) * BYTES_PER_ENTRY);
        }
        return bytes;
    }

    /// The round's step: the token-weighted mean over all `updates` of every DCT coefficient, encoded.
    ///
    /// @param mode {@link RobustMode#NONE} or {@link RobustMode.NormClip} (a trimmed mean is defined over senders;
    ///             the run config refuses it with this outer step)
    /// @throws IllegalArgumentException as {@link DemoAggregator#aggregate} does, or for a trimmed mean
    public static byte[] aggregate(DemoBlocking blocking, List<SparseUpdate> updates, long[] tokenWeights,
                                   RobustMode mode) {
        float[] coef = DemoAggregator.meanOverAll(blocking, updates, tokenWeights, mode);
        return encode(blocking, coef);
    }

    /// A step that moves nothing (every block empty): what a round commits when no update was usable.
    public static byte[] empty(DemoBlocking blocking) {
        return encode(blocking, new float[blocking.paramCount()]);
    }

    /// Encodes packed coefficients (tile-major, as {@link DemoBlocking.Tile#packedPosition}), keeping per block the
    /// non-zero ones, at most {@link #blockCap} of them (the largest magnitudes; ties to the lower index).
    static byte[] encode(DemoBlocking blocking, float[] coef) {
        ByteBuffer out = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, maxEncodedBytes(blocking)))
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(FORMAT);
        int[] picked = new int[0];
        float[] magnitude = new float[0];
        float[] sorted = new float[0];
        for (DemoBlocking.Tile tile : blocking.tiles()) {
            int elems = tile.tensor().blockElems();
            int cap = blockCap(elems);
            if (picked.length < elems) {
                picked = new int[elems];
                magnitude = new float[elems];
                sorted = new float[elems];
            }
            for (int x = 0; x < tile.blocks(); x++) {
                int n = 0;
                for (int k = 0; k < elems; k++) {
                    float v = coef[tile.packedPosition(x, k)];
                    if (v != 0f) {
                        magnitude[n] = Math.abs(v);
                        picked[n++] = k;
                    }
                }
                if (n > cap) {
                    // keep the cap largest magnitudes; at the threshold, the lowest indices (picked is ascending)
                    System.arraycopy(magnitude, 0, sorted, 0, n);
                    Arrays.sort(sorted, 0, n);
                    float kth = sorted[n - cap];
                    int ties = cap;
                    for (int i = 0; i < n; i++) {
                        if (magnitude[i] > kth) ties--;
                    }
                    int kept = 0;
                    for (int i = 0; i < n; i++) {
                        if (magnitude[i] > kth || (magnitude[i] == kth && ties-- > 0)) picked[kept++] = picked[i];
                    }
                    n = kept;
                }
                out.putInt(n);
                for (int i = 0; i < n; i++) out.putShort((short) picked[i]);
                for (int i = 0; i < n; i++) out.putFloat(coef[tile.packedPosition(x, picked[i])]);
            }
        }
        return Arrays.copyOf(out.array(), out.position());
    }

    /// Decodes a step into packed coefficients (zero where the step has none).
    ///
    /// @throws MalformedUpdateException naming the first thing wrong: format, a count above the block's cap, an
    ///                                  index out of order or range, a non-finite value, short or trailing bytes
    public static float[] decode(DemoBlocking blocking, byte[] step) throws MalformedUpdateException {
        ByteBuffer in = ByteBuffer.wrap(step).order(ByteOrder.LITTLE_ENDIAN);
        if (!in.hasRemaining() || in.get() != FORMAT) {
            throw new MalformedUpdateException("mean step: format byte is not " + FORMAT);
        }
        float[] coef = new float[blocking.paramCount()];
        int block = 0;
        for (DemoBlocking.Tile tile : blocking.tiles()) {
            int elems = tile.tensor().blockElems();
            int cap = blockCap(elems);
            for (int x = 0; x < tile.blocks(); x++, block++) {
                if (in.remaining() < Integer.BYTES) {
                    throw new MalformedUpdateException("mean step: ends before block " + block);
                }
                int n = in.getInt();
                if (n < 0 || n > cap) {
                    throw new MalformedUpdateException("mean step: block " + block + " carries " + n
                            + " coefficients, at most " + cap + " allowed");
                }
                if (in.remaining() < (long) n * BYTES_PER_ENTRY) {
                    throw new MalformedUpdateException("mean step: ends inside block " + block);
                }
                int at = in.position();
                int previous = -1;
                for (int i = 0; i < n; i++) {
                    int k = in.getShort(at + 2 * i) & 0xFFFF;
                    if (k <= previous || k >= elems) {
                        throw new MalformedUpdateException("mean step: block " + block + " index " + k
                                + (k >= elems ? " is outside the block's " + elems + " coefficients"
                                : " is not above the previous index " + previous));
                    }
                    previous = k;
                    float v = in.getFloat(at + 2 * n + 4 * i);
                    if (!Float.isFinite(v)) {
                        throw new MalformedUpdateException("mean step: block " + block + " holds " + v);
                    }
                    coef[tile.packedPosition(x, k)] = v;
                }
                in.position(at + n * BYTES_PER_ENTRY);
            }
        }
        if (in.hasRemaining()) {
            throw new MalformedUpdateException("mean step: " + in.remaining() + " bytes after the last block");
        }
        return coef;
    }

    /// `θ ← θ − lr·wd·θ − lr·IDCT(c)` in place, with decay on 2-D tensors only (as {@link SignStep#apply}). The
    /// step is decoded whole before any parameter changes.
    ///
    /// @throws MalformedUpdateException if the step is malformed ({@link #decode})
    public static void apply(DemoBlocking blocking, float[] params, byte[] step, float lr, float weightDecay)
            throws MalformedUpdateException {
        ParameterLayout layout = blocking.layout();
        SignStep.requireStepArguments(layout, params, lr, weightDecay);
        float[] direction = direction(blocking, decode(blocking, step));
        float decay = lr * weightDecay;
        for (ParameterLayout.Tensor t : layout.tensors()) {
            float d = t.isMatrix() ? decay : 0f;
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                float p = params[i];
                params[i] = p - d * p - lr * direction[i];
            }
        }
    }

    /// The inverse DCT of packed coefficients, per tile (parameter space, a fresh array).
    static float[] direction(DemoBlocking blocking, float[] coef) {
        float[] out = new float[blocking.paramCount()];
        List<DemoBlocking.Tile> tiles = blocking.tiles();
        ThreadLocal<TransformDct.Workspace> workspace = ThreadLocal.withInitial(blocking::newWorkspace);
        IntStream.range(0, tiles.size()).parallel().forEach(i -> {
            DemoBlocking.Tile tile = tiles.get(i);
            DemoBlocking.TensorBlocks t = tile.tensor();
            TransformDct.inverseTile(coef, tile.packedOffset(), t.blockRows(), t.blockCols(), tile.blocks(), out,
                    tile.offset(), t.cols(), workspace.get());
        });
        return out;
    }
}
