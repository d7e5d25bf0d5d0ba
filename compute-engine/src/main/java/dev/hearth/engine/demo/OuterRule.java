package dev.hearth.engine.demo;

import dev.hearth.protocol.wire.OuterStepKind;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;
import java.util.List;

/// How a run turns its nodes' updates into the step every copy of the model applies: the one owner of every
/// question whose answer differs between outer steps, so that the node, the coordinator and the benches ask it
/// instead of branching on the kind themselves. Adding a rule means one new record here (plus its `OuterStepKind`
/// and `RoundCommit.step` case in the proto) and no `if` anywhere else.
///
/// - {@link SignStep} (DeMo): nodes send the compressed gradient of the round's windows; the run steps by the sign
///   of the mean direction, with decoupled weight decay, at the scheduled rate.
/// - {@link MeanStep} (SparseLoCo style, the default): nodes take {@link #localSteps()} inner AdamW steps and send
///   the compressed pseudo-gradient; the run applies the mean of the coefficients at a constant outer rate.
///
/// The rule also owns what a run's config says about it: its name (`optimizer.outer`, {@link #byName}), the defaults it
/// gives the rest of the recipe ({@link #defaults}), which settings fit it ({@link #withSettings}), and the model-health
/// bound of its step ({@link #stepBound}). It owns its three wire facts (how a `RunConfig` names it, which `RoundCommit.step` case carries its
/// bytes, which rate travels where) because they are the same decision seen from the protocol; it reads and writes
/// only the generated message types, nothing of the network.
///
/// Every method is deterministic and allocation-only: the same inputs give the same bytes on every machine, which
/// is what lets every node check the coordinator's SHA-256 bit for bit.
public sealed interface OuterRule permits SignStep, MeanStep {

    /// The rule's name in a run's config (`optimizer.outer`) and in logs.
    String name();

    /// Inner AdamW steps a node takes per round: 0 sends the compressed mean gradient of the round's windows
    /// (one gradient, no inner optimizer), n ≥ 1 sends the compressed pseudo-gradient `θ_start − θ_local` of n steps.
    int localSteps();

    /// The inner AdamW's decoupled weight decay (0 when the rule takes no local steps).
    double innerWeightDecay();

    /// The rule's decoupled weight decay as a run's config and wire config carry it (`optimizer.weight_decay`,
    /// `RunConfig.weight_decay`): the sign step's per outer step, or the inner AdamW's.
    double weightDecay();

    /// The rule's constant outer rate (`optimizer.outer_lr`), or 0 when it steps at the scheduled rate.
    double outerLr();

    /// The rate `RoundCommit.lr` carries, which {@link #applyStep} applies, given the run's scheduled rate for the
    /// round. `RoundStart.lr` always carries the scheduled rate: the sign step's own rate (the node does not use
    /// it), or the inner AdamW's with local steps.
    float commitLr(float scheduledLr);

    /// Largest step {@link #step} can encode for this blocking: what one `RoundCommit` must be able to carry.
    long maxStepBytes(DemoBlocking blocking);

    /// The round's step, encoded as the commit carries it, from the updates that count (in the order given: float
    /// sums are order-dependent) and the tokens each was trained on. No updates give the step that moves nothing
    /// but the rule's decay.
    ///
    /// @throws IllegalArgumentException as {@link DemoAggregator#aggregate} does
    byte[] step(DemoBlocking blocking, List<SparseUpdate> updates, long[] tokenWeights, RobustMode mode);

    /// How far, relative to `‖θ‖`, a round's step may move the model before the coordinator refuses to publish it
    /// (docs/decisions/0004-model-health-before-publishing.md): from what honest rounds do with this rule.
    ///
    /// @param lr         the rate the round's commit applies its step with ({@link #commitLr})
    /// @param lrMax      the run's peak scheduled rate (`optimizer.lr_max`)
    /// @param params     the model's parameter count
    /// @param paramsNorm `‖θ‖` before the step
    double stepBound(double lr, double lrMax, int params, double paramsNorm);

    /// The norm of the step `update` alone would take at `lr` ({@link #commitLr}), or NaN where an update cannot
    /// change the step's size (then no update is refused for its size alone).
    double aloneStepNorm(SparseUpdate update, double lr);

    /// The agreement screen's bound, as a multiple of the round's median agreement: the coordinator drops (and
    /// strikes) an update whose agreement — its cosine with the sum of the round's other updates' unit vectors
    /// (`coordinator.validation.UpdateAgreement`) — is below this multiple of the median agreement of its round. Per
    /// rule because the rules' honest agreements spread differently (measured in docs/reliability.md, "An agreement
    /// screen on every update"): the mean step's honest updates never fell below 0.16 of their round's median, the
    /// sign step's fell to −0.33 (one node's gradients persistently unlike the others').
    double agreementFraction();

    /// Refuses a robust aggregation this rule's step is not defined with.
    ///
    /// @throws SettingException naming `robust`
    void requireSupported(RobustMode mode);

    /// Applies an encoded step to `params` in place at rate `lr` ({@link #commitLr}); nothing changes when the step
    /// is malformed.
    ///
    /// @throws MalformedUpdateException if the step does not fit the blocking or is malformed
    void applyStep(DemoBlocking blocking, float[] params, byte[] step, float lr) throws MalformedUpdateException;

    /// What fraction of an update's share of the round's rate the spot check probes at (dimensionless: the check's
    /// rate is `commitLr × share × SPOT_CHECK_PROBE`). The antithetic rule needs the loss change to be first order:
    /// `after < negated` is a descent test only while the terms beyond the second are small against the first. At
    /// the share itself (0.25 = 1.5/6 with the mean step) two honest updates of the reliability bench's last round
    /// crossed a sharp rise of the loss along their direction: one went uphill both ways and was struck ("loss
    /// 4.3154 → 4.4193, its negation gives 4.3768", even part 3.9× the odd, odd part of the wrong sign). Replayed
    /// bit for bit from the kept run, the same update at half the share passes (even/odd 0.066) and at a quarter is
    /// first order (odd part per unit rate −0.080 against −0.082 at an eighth, even/odd 0.040): its first-order
    /// slope was never weak, the probe was too far out. The antithetic and relative rules compare losses, so their
    /// verdicts on a first-order probe do not depend on its size (gap ratios over the round's lower median measured
    /// the same at ×4/3 … ×1/8 of the share); a smaller probe only shrinks the losses' differences, which at a quarter
    /// are still far above the float loss's resolution. docs/reliability.md, "The probe's size".
    double SPOT_CHECK_PROBE = 0.25;

    /// The rate the coordinator's spot check applies one update alone with ({@link #applyAlone}), so that the step it
    /// judges is smaller than that update's part in its round: `commitLr` is the commit's rate ({@link #commitLr}),
    /// `share` the update's weight among the round's counted updates (its tokens over theirs, in (0, 1]). Both rules
    /// answer `commitLr × share × SPOT_CHECK_PROBE`: the share because that is the update's part of the round's step
    /// (exactly, with the mean step; its part of the token-weighted mean the sign step takes the sign of), and a step
    /// of the whole rate alone overshoots on the update's own batch in both directions, where the antithetic rule can
    /// strike honest updates (docs/reliability.md, "The sign step's spot check at the update's share"); the
    /// {@link #SPOT_CHECK_PROBE} fraction of it because at the share itself higher-order terms still struck an honest
    /// mean-step update now and then.
    float spotCheckLr(float commitLr, double share);

    /// Whether the spot check also compares an update's antithetic gap with the other checked updates' of its round
    /// (`SpotCheckPolicy`'s relative rule): true where honest gaps of one round are alike at the rate
    /// {@link #spotCheckLr} gives, so that a random update's, a small fraction of theirs, stands out; measured over the
    /// reliability bench's ledgers (docs/reliability.md), gap over the round's lower median. The mean step: yes
    /// (honest ≥ 0.40, random ≤ 0.09). The sign step: no, even at the share rate (honest down to 0.21, random up to
    /// 0.23).
    boolean comparesSpotCheckGaps();

    /// The coordinator's spot check: a copy of `params` after the step made of `update` alone at rate `lr`
    /// ({@link #spotCheckLr}); `params` is not changed.
    default float[] applyAlone(DemoBlocking blocking, float[] params, SparseUpdate update, float lr) {
        float[] copy = params.clone();
        try {
            applyStep(blocking, copy, step(blocking, List.of(update), new long[] {1}, RobustMode.NONE), lr);
        } catch (MalformedUpdateException e) {
            throw new IllegalStateException("a step encoded here failed its own check", e);
        }
        return copy;
    }

    // ---- the wire ------------------------------------------------------------------------------------------------

    /// Writes the rule into a run's wire config: `outer_step`, `local_steps`, `outer_lr` and `weight_decay`.
    RunConfig.Builder describe(RunConfig.Builder config);

    /// Sets the commit's `step` case to this rule's, holding `step`.
    RoundCommit.Builder putStep(RoundCommit.Builder commit, byte[] step);

    /// The step a commit carries for this rule.
    ///
    /// @throws MalformedUpdateException if the commit carries another rule's step (or none)
    byte[] stepOf(RoundCommit commit) throws MalformedUpdateException;

    /// Applies a commit's step to `params` in place at the commit's rate (every holder of a model copy: the node,
    /// the benches' protocol-level nodes); nothing changes when the step is malformed.
    ///
    /// @throws MalformedUpdateException if the commit carries another rule's step, or one that does not fit
    default void applyCommit(DemoBlocking blocking, float[] params, RoundCommit commit)
            throws MalformedUpdateException {
        applyStep(blocking, params, stepOf(commit), (float) commit.getLr());
    }

    /// The rule a run's wire config names. An unset kind is the sign step (coordinators before the mean step).
    ///
    /// @throws IllegalArgumentException if the kind is one this version does not know, or the config's rule settings
    ///                                  are out of range
    static OuterRule fromWire(RunConfig config) {
        return switch (config.getOuterStep()) {
            case OUTER_STEP_UNSPECIFIED, OUTER_SIGN -> new SignStep(config.getWeightDecay());
            case OUTER_MEAN -> new MeanStep(config.getLocalSteps(), config.getOuterLr(), config.getWeightDecay());
            case UNRECOGNIZED -> throw new IllegalArgumentException("the run's outer step " + config.getOuterStepValue()
                    + " is not one this version of Hearth knows (" + String.join(", ", names()) + "); update Hearth");
        };
    }

    // ---- a run's config ------------------------------------------------------------------------------------------

    /// What a run's config defaults to with a rule, for the settings it leaves out: the rule's own settings, as the
    /// config counts them, and the rest of the recipe's that the rule needs its own values of (the quality sweep's
    /// settings for each rule, docs/benchmarks.md).
    ///
    /// @param localSteps       `optimizer.local_steps` as the config counts it (the sign step's one gradient: 1)
    /// @param outerLr          `optimizer.outer_lr` (0: the rule has none)
    /// @param weightDecay      `optimizer.weight_decay`
    /// @param sequencesPerNode `data.sequences_per_node`
    /// @param topK             `demo.top_k`
    /// @param lrMax            `optimizer.lr_max`
    /// @param lrMin            `optimizer.lr_min`
    /// @param warmupRounds     `optimizer.warmup_rounds`
    record Defaults(int localSteps, double outerLr, double weightDecay, int sequencesPerNode, int topK, double lrMax,
                    double lrMin, int warmupRounds) {
    }

    /// The defaults a run's config gets with this rule.
    Defaults defaults();

    /// This kind of rule with the settings a run's config gives (`local_steps` as the config counts it, see
    /// {@link Defaults#localSteps}).
    ///
    /// @throws SettingException naming the setting that does not fit this rule
    OuterRule withSettings(int localSteps, double outerLr, double weightDecay);

    /// Every rule a run can name, each with its default settings, the run's default first: the one list of rules,
    /// which {@link #byName} and {@link #names} read. (A method, not a constant: a constant here would be read while
    /// a rule's class is still being initialised.)
    static List<OuterRule> all() {
        return List.of(MeanStep.DEFAULT, SignStep.DEFAULT);
    }

    /// The rule a run takes when its config names none: the mean step (docs/decisions/0005-mean-step-default.md).
    static OuterRule runDefault() {
        return all().getFirst();
    }

    /// Every rule's {@link #name}, the default first.
    static List<String> names() {
        return all().stream().map(OuterRule::name).toList();
    }

    /// The rule named `name` in a run's config (`optimizer.outer`) or a bench's options, with its default settings.
    ///
    /// @throws IllegalArgumentException for an unknown name, listing the known ones
    static OuterRule byName(String name) {
        for (OuterRule rule : all()) {
            if (rule.name().equals(name)) {
                return rule;
            }
        }
        throw new IllegalArgumentException("outer step must be one of " + String.join(", ", names()) + ", got \""
                + name + "\"");
    }

    /// A setting in a run's config that does not fit the rule it names.
    final class SettingException extends IllegalArgumentException {
        private final String setting;

        /// @param setting the setting's key in run.toml's `[optimizer]` (`local_steps`, `outer_lr`, `robust`)
        /// @param problem what is wrong, as a sentence continuing "key 'optimizer.<setting>' …"
        public SettingException(String setting, String problem) {
            super(problem);
            this.setting = setting;
        }

        /// The setting's key in run.toml's `[optimizer]`.
        public String setting() {
            return setting;
        }
    }
}
