package dev.hearth.node.api;

/// Energy and cost in words, the same in the app, the CSV's neighbours and `./hearth status`:
/// "0.012 kWh (estimated)", "0.0036 EUR".
public final class EnergyText {

    private EnergyText() {}

    /// "0.012 kWh (estimated)" when any part is an estimate, "0.012 kWh (measured)" otherwise,
    /// "0.000 kWh" when nothing was metered.
    public static String kwh(double joules, boolean estimated) {
        String figure = RoundEnergy.kwhText(joules / RoundEnergy.JOULES_PER_KWH);
        if (joules <= 0) return figure;
        return figure + (estimated ? " (estimated)" : " (measured)");
    }

    /// The cost of `joules` at `tariff`, or "" without a tariff.
    public static String cost(double joules, Tariff tariff) {
        return tariff == null ? "" : tariff.costText(joules / RoundEnergy.JOULES_PER_KWH);
    }

    /// `status`'s energy line: "Energy:  0.012 kWh today (estimated), 0.140 kWh in all (estimated); cost
    /// 0.0036 EUR today, 0.0420 EUR in all at 0.30 EUR/kWh".
    public static String statusLine(ContributionHistory.Totals all, ContributionHistory.DailyTotal today, Tariff tariff) {
        double todayJ = today == null ? 0 : today.energyJoules();
        boolean todayEst = today != null && today.energyEstimated();
        StringBuilder b = new StringBuilder("Energy:  ")
                .append(withWhen(kwh(todayJ, todayEst), "today")).append(", ")
                .append(withWhen(kwh(all.energyJoules(), all.energyEstimated()), "in all"));
        if (tariff == null) {
            b.append("; no tariff set (Settings → Energy and cost), so no cost");
        } else {
            b.append("; cost ").append(cost(todayJ, tariff)).append(" today, ").append(cost(all.energyJoules(), tariff))
                    .append(" in all at ").append(tariff.pricePerKwh()).append(' ').append(tariff.currency()).append("/kWh");
        }
        return b.toString();
    }

    /// "0.012 kWh today (estimated)": the period goes before the label.
    private static String withWhen(String kwh, String when) {
        int paren = kwh.indexOf(" (");
        return paren < 0 ? kwh + " " + when : kwh.substring(0, paren) + " " + when + kwh.substring(paren);
    }
}
