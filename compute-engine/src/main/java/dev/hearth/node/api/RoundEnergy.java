package dev.hearth.node.api;

import java.util.Locale;

/// The energy one round used and where the figure came from.
///
/// @param joules J, ≥ 0
public record RoundEnergy(double joules, EnergySource source) {

    /// 3.6 MJ: one kWh.
    public static final double JOULES_PER_KWH = 3.6e6;

    public RoundEnergy {
        if (!Double.isFinite(joules) || joules < 0) throw new IllegalArgumentException("round energy " + joules + " J is not a non-negative number");
        java.util.Objects.requireNonNull(source, "source");
    }

    public double kwh() {
        return joules / JOULES_PER_KWH;
    }

    /// "0.012 kWh (estimated)", "0.250 kWh (measured, GPU)".
    public String words() {
        return kwhText(kwh()) + " (" + source.words() + ")";
    }

    /// kWh with three decimals (a nano round is a few Wh), or four when below 0.001.
    public static String kwhText(double kwh) {
        return String.format(Locale.ROOT, kwh > 0 && kwh < 0.001 ? "%.4f kWh" : "%.3f kWh", kwh);
    }
}
