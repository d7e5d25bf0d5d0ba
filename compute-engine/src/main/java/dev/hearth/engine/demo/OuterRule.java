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
/// The rule also owns its three wire facts (how a `RunConfig` names it, which `RoundCommit.step` case carries its
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

    /// Applies an encoded step to `params` in place at rate `lr` ({@link #commitLr}); nothing changes when the step
    /// is malformed.
    ///
    /// @throws MalformedUpdateException if the step does not fit the blocking or is malformed
    void applyStep(DemoBlocking blocking, float[] params, byte[] step, float lr) throws MalformedUpdateException;

    /// The rate the coordinator's spot check applies one update alone with ({@link #applyAlone}), so that the step it
    /// judges is the step that update takes in its round: `commitLr` is the commit's rate ({@link #commitLr}),
    /// `share` the update's weight among the round's counted updates (its tokens over theirs, in (0, 1]).
    float spotCheckLr(float commitLr, double share);

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
    /// @throws IllegalArgumentException if the config's rule settings are out of range
    static OuterRule fromWire(RunConfig config) {
        return config.getOuterStep() == OuterStepKind.OUTER_MEAN
                ? new MeanStep(config.getLocalSteps(), config.getOuterLr(), config.getWeightDecay())
                : new SignStep(config.getWeightDecay());
    }

    /// The rule named `name` in a run's config file.
    ///
    /// @param localSteps  the mean step's inner steps per round (ignored by the sign step)
    /// @param outerLr     the mean step's constant outer rate (ignored by the sign step)
    /// @param weightDecay the sign step's decay per outer step, or the mean step's inner AdamW's
    /// @throws IllegalArgumentException for an unknown name or settings out of range
    static OuterRule named(String name, int localSteps, double outerLr, double weightDecay) {
        return switch (name) {
            case SignStep.NAME -> new SignStep(weightDecay);
            case MeanStep.NAME -> new MeanStep(localSteps, outerLr, weightDecay);
            default -> throw new IllegalArgumentException("outer step must be \"" + MeanStep.NAME + "\" or \""
                    + SignStep.NAME + "\", got \"" + name + "\"");
        };
    }
}
