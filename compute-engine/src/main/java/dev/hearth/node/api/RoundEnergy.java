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

    /// kWh with three decimals ("0.012 kWh"); below 0.001 kWh with two significant digits
    /// ("0.000016 kWh": a `nano` round on a CPU uses tens of joules, which three decimals would show as 0).
    public static String kwhText(double kwh) {
        return number(kwh) + " kWh";
    }

    /// Three decimals, or two significant digits when smaller than 0.001 (and not 0).
    static String number(double v) {
        if (v > 0 && v < 0.001) {
            return java.math.BigDecimal.valueOf(v).round(new java.math.MathContext(2, java.math.RoundingMode.HALF_UP))
                    .toPlainString();
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
