package dev.hearth.engine.recipe;

import dev.hearth.engine.demo.RobustMode;
import java.util.Arrays;
import java.util.stream.Collectors;

/// How the coordinator guards a round's mean against a few bad updates, as a run's recipe names it: each value's
/// name in run.toml (`optimizer.robust`) and on the protocol (`RunConfig.robust_aggregation`) is mapped here and
/// nowhere else, and {@link #mode} is what the aggregation runs.
public enum RobustAggregation {
    /// The DeMo reference's plain token-weighted mean.
    MEAN("mean", dev.hearth.protocol.wire.RobustAggregation.ROBUST_MEAN),
    /// Coordinate-wise trimmed mean over each coefficient's senders ({@link #TRIM_FRACTION} at each end).
    TRIMMED_MEAN("trimmed_mean", dev.hearth.protocol.wire.RobustAggregation.ROBUST_TRIMMED_MEAN),
    /// Each update's norm clipped to the round's median, then the plain mean.
    NORM_CLIP("norm_clip", dev.hearth.protocol.wire.RobustAggregation.ROBUST_NORM_CLIP);

    /// Trimmed-mean share dropped at each end of each coefficient's senders: a quarter.
    public static final double TRIM_FRACTION = 0.25;

    private final String configName;
    private final dev.hearth.protocol.wire.RobustAggregation wire;

    RobustAggregation(String configName, dev.hearth.protocol.wire.RobustAggregation wire) {
        this.configName = configName;
        this.wire = wire;
    }

    /// The name in run.toml (`optimizer.robust`).
    public String configName() {
        return configName;
    }

    /// What {@link dev.hearth.engine.demo.DemoAggregator} runs for this choice.
    public RobustMode mode() {
        return switch (this) {
            case MEAN -> RobustMode.NONE;
            case TRIMMED_MEAN -> RobustMode.trimmedMean(TRIM_FRACTION);
            case NORM_CLIP -> RobustMode.NORM_CLIP;
        };
    }

    /// The choice named `name` in run.toml.
    ///
    /// @throws IllegalArgumentException naming the known names
    public static RobustAggregation named(String name) {
        for (RobustAggregation r : values()) {
            if (r.configName.equals(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("robust aggregation must be one of " + configNames() + ", got '" + name
                + "'");
    }

    /// Every {@link #configName}, comma-separated, the default first.
    public static String configNames() {
        return Arrays.stream(values()).map(RobustAggregation::configName).collect(Collectors.joining(", "));
    }

    /// The choice as the wire config carries it.
    public dev.hearth.protocol.wire.RobustAggregation toWire() {
        return wire;
    }

    /// The choice a wire config names by `number` (`RunConfig.getRobustAggregationValue()`); unset (0) is the plain
    /// mean (coordinators before the field).
    ///
    /// @throws IllegalArgumentException for a number this version does not know
    public static RobustAggregation fromWire(int number) {
        var wire = dev.hearth.protocol.wire.RobustAggregation.forNumber(number);
        if (wire == dev.hearth.protocol.wire.RobustAggregation.ROBUST_AGGREGATION_UNSPECIFIED) {
            return MEAN;
        }
        for (RobustAggregation r : values()) {
            if (r.wire == wire) {
                return r;
            }
        }
        throw new IllegalArgumentException("the run's robust aggregation " + number
                + " is not one this version of Hearth knows (" + configNames() + "); update Hearth");
    }
}
