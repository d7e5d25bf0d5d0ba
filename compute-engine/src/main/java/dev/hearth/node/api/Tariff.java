package dev.hearth.node.api;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;

/// What a kWh costs the owner, in their currency.
///
/// @param pricePerKwh price of one kWh in `currency`, ≥ 0
/// @param currency    ISO 4217 code ("EUR", "USD", "JPY")
public record Tariff(double pricePerKwh, String currency) {

    /// The cost of `kwh`, in the tariff's currency.
    public double cost(double kwh) {
        return kwh * pricePerKwh;
    }

    /// "0.0042 EUR": two decimals more than the currency's own (a round costs fractions of a cent);
    /// smaller amounts with two significant digits ("0.0000049 EUR"), so a cost is never shown as 0 when it is not.
    public String costText(double kwh) {
        int digits = Math.max(0, fractionDigits()) + 2;
        double c = cost(kwh);
        BigDecimal exact = BigDecimal.valueOf(c);
        BigDecimal shown = c > 0 && c < Math.pow(10, -digits)
                ? exact.round(new java.math.MathContext(2, RoundingMode.HALF_UP))
                : exact.setScale(digits, RoundingMode.HALF_UP);
        return shown.toPlainString() + " " + currency;
    }

    /// The amount alone, as [#costText] shows it ("0.0042").
    public String amountText(double kwh) {
        String t = costText(kwh);
        return t.substring(0, t.length() - currency.length() - 1);
    }

    private int fractionDigits() {
        try {
            return Currency.getInstance(currency).getDefaultFractionDigits();
        } catch (IllegalArgumentException e) {
            return 2;
        }
    }
}
