package dev.hearth.engine.demo;

/// How {@link DemoAggregator} guards the mean against a few bad or hostile updates.
public sealed interface RobustMode {

    /// The DeMo reference's plain token-weighted mean at each coefficient.
    RobustMode NONE = new None();

    /// Each update's L2 norm is clipped to the median norm of the round before averaging: one node sending a huge
    /// update moves the model no more than a typical node.
    RobustMode NORM_CLIP = new NormClip();

    /// Coordinate-wise trimmed mean dropping `fraction` of the senders at each end.
    static RobustMode trimmedMean(double fraction) {
        return new TrimmedMean(fraction);
    }

    /// Plain weighted mean.
    record None() implements RobustMode {
    }

    /// Clip to the median norm, then the plain weighted mean.
    record NormClip() implements RobustMode {
    }

    /// At each coefficient, sort the values of the updates that sent it, drop `floor(fraction·n)` from each end,
    /// token-weighted mean of the rest.
    ///
    /// @param fraction in [0, 0.5): the share dropped at *each* end
    record TrimmedMean(double fraction) implements RobustMode {
        public TrimmedMean {
            if (!(fraction >= 0 && fraction < 0.5)) {
                throw new IllegalArgumentException("trimmed-mean fraction must be in [0, 0.5), got " + fraction);
            }
        }
    }
}
