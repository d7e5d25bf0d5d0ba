package dev.hearth.node.session;

import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MalformedUpdateException;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.OuterStep;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.wire.OuterStepKind;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RunConfig;

/// Applying a RoundCommit's outer step to a node's parameters, as the run's config says: the ternary sign step
/// (`step`, with the run's weight decay) or the mean step (`mean_step`, the decay already in the pseudo-gradients).
/// One place for every holder of a model copy (the node, and the benches' protocol-level nodes).
public final class CommitStep {

    private CommitStep() {
    }

    /// `true` when the run applies the mean step (its nodes send pseudo-gradients of local AdamW steps).
    public static boolean meanStep(RunConfig rc) {
        return rc.getOuterStep() == OuterStepKind.OUTER_MEAN;
    }

    /// The run's DCT blocking (what a mean step is laid out by).
    public static DemoBlocking blocking(RunConfig rc, ParameterLayout layout) {
        return new DemoBlocking(layout, new DemoConfig((float) rc.getDemoBeta(), rc.getDemoBlockSize(),
                rc.getDemoTopK(), rc.getValueEncoding() == dev.hearth.protocol.wire.ValueEncoding.FP16
                ? ValueEncoding.FP16 : ValueEncoding.SIGN_1BIT));
    }

    /// Applies `c`'s step to `params` in place (nothing changes when it is malformed).
    ///
    /// @param blocking {@link #blocking} of this run, for the mean step
    /// @throws MalformedUpdateException if the step does not fit the layout or is malformed
    public static void apply(RunConfig rc, DemoBlocking blocking, float[] params, RoundCommit c)
            throws MalformedUpdateException {
        if (meanStep(rc)) {
            if (!c.getStep().isEmpty()) {
                throw new MalformedUpdateException("the run applies the mean step but the commit carries a sign step");
            }
            MeanStep.apply(blocking, params, c.getMeanStep().toByteArray(), (float) c.getLr(), 0f);
        } else {
            if (!c.getMeanStep().isEmpty()) {
                throw new MalformedUpdateException("the run applies the sign step but the commit carries a mean step");
            }
            OuterStep.apply(blocking.layout(), params, c.getStep().toByteArray(), (float) c.getLr(),
                    (float) rc.getWeightDecay());
        }
    }
}
