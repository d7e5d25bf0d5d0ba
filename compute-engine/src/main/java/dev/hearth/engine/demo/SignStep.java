package dev.hearth.engine.demo;

import com.google.protobuf.ByteString;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.wire.OuterStepKind;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.util.List;

/// The outer step of DeMo (the reference's `p.grad.sign_()` then SGD with decoupled weight decay), split so that
/// the coordinator computes the ternary sign vector once and every node applies the same bytes:
/// `θ ← θ − lr·wd·θ − lr·sign(direction)`, the direction being {@link DemoAggregator#aggregate} of the round's
/// gradients (each coefficient's mean over its senders). As an {@link OuterRule}: no local steps, the scheduled
/// rate in both RoundStart and RoundCommit, the packed signs in `RoundCommit.sign_step`.
///
/// Weight decay applies to 2-D tensors only (the matmul weights and the embeddings), not to 1-D ones (biases and
/// LayerNorm gains/shifts): nanoGPT's `configure_optimizers` rule "decay every parameter with dim ≥ 2", read from
/// the {@link ParameterLayout} shapes.
///
/// Packed signs: 2 bits per parameter, four per byte, parameter `i` in bits `2·(i mod 4)` of byte `i / 4`;
/// `00` = 0, `01` = +1, `10` = −1; `11` and non-zero padding bits are malformed.
///
/// @param weightDecay decoupled weight decay per outer step (finite, ≥ 0)
public record SignStep(double weightDecay) implements OuterRule {

    /// The rule's name in a run's config.
    public static final String NAME = "sign";

    /// The sign step's defaults, kept from the first two sessions' sweeps (docs/benchmarks.md, "The sign step's
    /// defaults"): k 8, lr 1.2e-2 → 1.2e-3 over a 10-round warm-up, no decay, 8 windows per round.
    public static final Defaults DEFAULTS = new Defaults(1, 0, 0.0, 8, 8, 1.2e-2, 1.2e-3, 10);
    /// The sign step with its default settings (no decay).
    public static final SignStep DEFAULT = new SignStep(DEFAULTS.weightDecay());

    /// The agreement screen drops an update below −0.5 × its round's median agreement ({@link #agreementFraction}):
    /// only anti-aligned ones. Measured in the sign-step Byzantine runs (docs/reliability.md, 8 nodes, 8 rounds of
    /// `nano`, 378 honest updates): honest updates at ≥ −0.327 of their round's median (one node whose compressed
    /// gradients stayed unlike the others' for three rounds: 0.40, 0.25, −0.33 of the median; 5th percentile 0.50),
    /// sign-flipped ones at ≤ −0.726 and the intermittent cheater's attacks at ≤ −0.850. Random updates spread from
    /// −0.334 to 0.031 of the median, into the honest range: a sign-step gradient's norm sits in few blocks (its
    /// block scales differ widely, unlike the mean step's AdamW pseudo-gradients), so a random one's cosine is noisy;
    /// they are left to the spot checks. −0.5 leaves a factor 1.5 to the honest side and 1.45 to the weakest flip.
    public static final double AGREEMENT_FRACTION = -0.5;

    /// 1e-3 relative: float rounding allowed on top of the step's exact bound ({@link #stepBound}).
    static final double ROUNDING = 1e-3;

    static final int CODE_ZERO = 0;
    static final int CODE_PLUS = 1;
    static final int CODE_MINUS = 2;

    public SignStep {
        if (!(weightDecay >= 0 && weightDecay <= 1)) {
            throw new IllegalArgumentException("the sign step's weight decay must be in [0, 1], got " + weightDecay);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int localSteps() {
        return 0;
    }

    @Override
    public double innerWeightDecay() {
        return 0;
    }

    /// 0: the sign step steps at the scheduled rate.
    @Override
    public double outerLr() {
        return 0;
    }

    @Override
    public float commitLr(float scheduledLr) {
        return scheduledLr;
    }

    /// A quarter ({@link OuterRule#SPOT_CHECK_PROBE}) of the update's token share of the rate, `lr × share × 0.25`
    /// (as {@link MeanStep#spotCheckLr}; the quarter is the mean step's finding, docs/reliability.md, "The probe's
    /// size", and makes the sign step's probe more first order still: no verdict depends on it). The round's step is
    /// `lr·sign(d)` with `d` the token-weighted mean of its updates, so one update contributes its share of the
    /// direction that the step's size `lr` is spread over; applied alone at the whole rate it took a step of the
    /// round's size on its own batch, overshot in both directions and the antithetic rule (`SpotCheckPolicy`), which
    /// cancels the second-order term but not the higher ones, struck honest updates now and then ("loss 4.8408 →
    /// 4.9616, its negation gives 4.9389"). At the share the first-order term `lr·share·⟨g, sign(u)⟩` decides the
    /// comparison (its sign does not depend on the rate), and the third-order term relative to it falls with the square of
    /// the rate (1/64 at a share of 1/8). docs/reliability.md, "The sign step's spot check at the update's share".
    @Override
    public float spotCheckLr(float commitLr, double share) {
        return (float) (commitLr * share * SPOT_CHECK_PROBE);
    }

    /// False: even at the share rate, where the first-order term decides each check, honest and random gaps of a round
    /// overlap (honest down to 0.21 of the round's lower median, random up to 0.23: the spread is in how well
    /// `sign(u)` of one node's gradient points downhill on its own batch, which no probe rate changes); with the rule
    /// on, one honest update in 321 was struck. docs/reliability.md, "The sign step's spot check at the update's share".
    @Override
    public boolean comparesSpotCheckGaps() {
        return false;
    }

    @Override
    public long maxStepBytes(DemoBlocking blocking) {
        return packedLength(blocking.paramCount());
    }

    @Override
    public byte[] step(DemoBlocking blocking, List<SparseUpdate> updates, long[] tokenWeights, RobustMode mode) {
        return updates.isEmpty()
                ? ternary(new float[blocking.paramCount()]) // nothing usable: decay only
                : ternary(DemoAggregator.aggregate(blocking, updates, tokenWeights, mode));
    }

    @Override
    public void applyStep(DemoBlocking blocking, float[] params, byte[] step, float lr)
            throws MalformedUpdateException {
        apply(blocking.layout(), params, step, lr, (float) weightDecay);
    }

    /// The ternary step's own bound, `lr·√P / ‖θ‖ + lr·wd` (every coordinate moved by at most `lr`, plus the decay),
    /// with float rounding on top: a step beyond it is a bug or corrupt memory, not an update.
    @Override
    public double stepBound(double lr, double lrMax, int params, double paramsNorm) {
        return (lr * Math.sqrt(params) / paramsNorm + lr * weightDecay) * (1 + ROUNDING);
    }

    /// {@link #AGREEMENT_FRACTION}.
    @Override
    public double agreementFraction() {
        return AGREEMENT_FRACTION;
    }

    /// NaN: an update cannot change the step's size (`lr` per coordinate whatever it sends).
    @Override
    public double aloneStepNorm(SparseUpdate update, double lr) {
        return Double.NaN;
    }

    /// Every robust mode: the direction is a mean over each coefficient's senders, which a trimmed mean trims.
    @Override
    public void requireSupported(RobustMode mode) {
    }

    @Override
    public Defaults defaults() {
        return DEFAULTS;
    }

    /// The sign step takes one gradient per round (`local_steps` 1) and steps at the scheduled rate (no `outer_lr`).
    @Override
    public OuterRule withSettings(int localSteps, double outerLr, double weightDecay) {
        if (localSteps != 1) {
            throw new SettingException("local_steps", "needs optimizer.outer = \"mean\" (the sign step takes one"
                    + " gradient per round), got " + localSteps);
        }
        if (outerLr != 0) {
            throw new SettingException("outer_lr", "needs optimizer.outer = \"mean\" (the sign step's rate is lr_max)");
        }
        return new SignStep(weightDecay);
    }

    @Override
    public RunConfig.Builder describe(RunConfig.Builder config) {
        return config.setOuterStep(OuterStepKind.OUTER_SIGN).setLocalSteps(0).setOuterLr(0)
                .setWeightDecay(weightDecay);
    }

    @Override
    public RoundCommit.Builder putStep(RoundCommit.Builder commit, byte[] step) {
        return commit.setSignStep(ByteString.copyFrom(step));
    }

    @Override
    public byte[] stepOf(RoundCommit commit) throws MalformedUpdateException {
        if (commit.getStepCase() != RoundCommit.StepCase.SIGN_STEP) {
            throw new MalformedUpdateException("the run applies the sign step but the commit carries "
                    + commit.getStepCase());
        }
        return commit.getSignStep().toByteArray();
    }

    /// Bytes of the packed sign vector for n parameters.
    public static int packedLength(int params) {
        return (params + 3) / 4;
    }

    /// `sign(direction)` packed 2 bits per parameter (what RoundCommit carries).
    ///
    /// @throws IllegalArgumentException if direction holds a NaN
    public static byte[] ternary(float[] direction) {
        int n = direction.length;
        byte[] out = new byte[packedLength(n)];
        boolean nan = false;
        int full = n / 4;
        // Four parameters per byte built in a register: no read-modify-write of the output byte per parameter.
        for (int b = 0; b < full; b++) {
            int i = b << 2;
            float d0 = direction[i];
            float d1 = direction[i + 1];
            float d2 = direction[i + 2];
            float d3 = direction[i + 3];
            nan |= d0 != d0 | d1 != d1 | d2 != d2 | d3 != d3;
            out[b] = (byte) (code(d0) | code(d1) << 2 | code(d2) << 4 | code(d3) << 6);
        }
        int last = 0;
        for (int i = full * 4; i < n; i++) {
            nan |= direction[i] != direction[i];
            last |= code(direction[i]) << ((i & 3) << 1);
        }
        if (n % 4 != 0) {
            out[full] = (byte) last;
        }
        if (nan) {
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(direction[i])) {
                    throw new IllegalArgumentException("direction is NaN at parameter " + i);
                }
            }
        }
        return out;
    }

    private static int code(float d) {
        return (d > 0f ? CODE_PLUS : 0) | (d < 0f ? CODE_MINUS : 0);
    }

    /// Unpacks a sign vector into −1, 0, +1 per parameter.
    ///
    /// @throws MalformedUpdateException on a wrong length, a `11` code or non-zero padding
    public static byte[] unpack(byte[] packed, int params) throws MalformedUpdateException {
        requireValid(packed, params);
        byte[] s = new byte[params];
        for (int i = 0; i < params; i++) {
            int code = (packed[i >>> 2] >>> ((i & 3) << 1)) & 3;
            s[i] = (byte) (code == CODE_PLUS ? 1 : code == CODE_MINUS ? -1 : 0);
        }
        return s;
    }

    /// `θ ← θ − lr·wd·θ − lr·s` in place, with decay on 2-D tensors only. The packed vector is checked whole before
    /// any parameter changes.
    ///
    /// @throws MalformedUpdateException if the packed vector does not fit the layout
    public static void apply(ParameterLayout layout, float[] params, byte[] packedSigns, float lr, float weightDecay)
            throws MalformedUpdateException {
        requireStepArguments(layout, params, lr, weightDecay);
        requireValid(packedSigns, params.length);
        float decay = lr * weightDecay;
        // step per 2-bit code (11 was rejected above): a table instead of branches on random signs
        float[] stepOf = {0f, lr, -lr, 0f};
        for (ParameterLayout.Tensor t : layout.tensors()) {
            float d = t.isMatrix() ? decay : 0f;
            int end = t.offset() + t.size();
            for (int i = t.offset(); i < end; i++) {
                float step = stepOf[(packedSigns[i >>> 2] >>> ((i & 3) << 1)) & 3];
                float p = params[i];
                params[i] = p - d * p - step;
            }
        }
    }

    /// What every outer step checks before it touches the parameters: they fit the layout, and lr and weight decay
    /// are finite and ≥ 0.
    static void requireStepArguments(ParameterLayout layout, float[] params, float lr, float weightDecay) {
        if (params.length != layout.size()) {
            throw new IllegalArgumentException("params hold " + params.length + " values, the layout has "
                    + layout.size());
        }
        if (!(lr >= 0f && Float.isFinite(lr)) || !(weightDecay >= 0f && Float.isFinite(weightDecay))) {
            throw new IllegalArgumentException("lr and weight decay must be finite and ≥ 0, got " + lr + ", "
                    + weightDecay);
        }
    }

    private static void requireValid(byte[] packed, int params) throws MalformedUpdateException {
        if (packed == null) {
            throw new MalformedUpdateException("packed sign vector is missing");
        }
        int expected = packedLength(params);
        if (packed.length != expected) {
            throw new MalformedUpdateException("packed sign vector has " + packed.length + " bytes, " + params
                    + " parameters need " + expected);
        }
        for (int b = 0; b < packed.length; b++) {
            int v = packed[b] & 0xFF;
            // a 11 pair has both bits of some pair set: (v & (v >>> 1)) & 0b01010101
            if (((v & (v >>> 1)) & 0x55) != 0) {
                int pair = Integer.numberOfTrailingZeros((v & (v >>> 1)) & 0x55) / 2;
                throw new MalformedUpdateException("packed sign vector has the invalid code 11 at parameter "
                        + (b * 4 + pair));
            }
        }
        int tail = params & 3;
        if (tail != 0 && ((packed[expected - 1] & 0xFF) >>> (tail * 2)) != 0) {
            throw new MalformedUpdateException("packed sign vector has non-zero padding bits after parameter "
                    + (params - 1));
        }
    }
}
