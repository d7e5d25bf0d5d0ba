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

    /// "0.0042 EUR": two decimals more than the currency's own (a round costs fractions of a cent).
    public String costText(double kwh) {
        int digits = Math.max(0, fractionDigits()) + 2;
        return new BigDecimal(cost(kwh)).setScale(digits, RoundingMode.HALF_EVEN).toPlainString() + " " + currency;
    }

    private int fractionDigits() {
        try {
            return Currency.getInstance(currency).getDefaultFractionDigits();
        } catch (IllegalArgumentException e) {
            return 2;
        }
    }
}
