package dev.hearth.engine.demo;

import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.protocol.wire.RunConfig;

/// The run's DCT blocking as its wire config says, for every holder of a model copy (the node, its trainer worker
/// and the benches' protocol-level nodes) that applies RoundCommits through the run's {@link OuterRule}: one
/// function, so that every copy lays a step out the same way and reaches the coordinator's SHA-256 bit for bit.
public final class CommitStep {

    private CommitStep() {
    }

    /// The run's DCT blocking (what a step is laid out by).
    public static DemoBlocking blocking(RunConfig rc, ParameterLayout layout) {
        return new DemoBlocking(layout, new DemoConfig((float) rc.getDemoBeta(), rc.getDemoBlockSize(),
                rc.getDemoTopK(), rc.getValueEncoding() == dev.hearth.protocol.wire.ValueEncoding.FP16
                ? ValueEncoding.FP16 : ValueEncoding.SIGN_1BIT));
    }
}
