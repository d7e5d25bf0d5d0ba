package dev.hearth.node.api;

import java.net.URI;
import java.time.LocalTime;
import java.util.Currency;
import java.util.Locale;

/// What the owner's power costs and when it is cheap or green (issue 16 item 6). Part of
/// [NodeSettings]; [#validate] names the first bad field.
///
/// @param pricePerKwh           price of a kWh in `currency`; 0 = no tariff set (no cost shown)
/// @param currency              ISO 4217 code, e.g. EUR
/// @param cheapFrom             start of the cheap-hours window, local time; null = no window
/// @param cheapUntil            its end (before `cheapFrom` wraps past midnight); null = no window
/// @param onlyCheapHours        schedule rule: train only inside the cheap-hours window
/// @param carbonFeedUrl         grid carbon-intensity feed (docs/carbon-feed.md); "" = none
/// @param greenBelowGramsPerKwh the grid is "green" below this, g CO₂/kWh
/// @param onlyWhenGreen         schedule rule: train only while the feed says the grid is green
public record EnergySettings(double pricePerKwh, String currency, LocalTime cheapFrom, LocalTime cheapUntil,
                             boolean onlyCheapHours, String carbonFeedUrl, int greenBelowGramsPerKwh,
                             boolean onlyWhenGreen) {

    /// 100,000 per kWh: above any tariff in any currency in use (Indonesian rupiah ~1,500, Korean won
    /// ~150, euro ~0.3); a larger price is a typo.
    public static final double MAX_PRICE_PER_KWH = 100_000;
    /// 1,000 g CO₂/kWh: about a coal plant's intensity, so a higher threshold is "always green".
    public static final int MAX_GREEN_BELOW_G_PER_KWH = 1_000;
    /// 200 g/kWh: the default threshold, about half the world's average grid (~450 g/kWh).
    public static final int DEFAULT_GREEN_BELOW_G_PER_KWH = 200;
    /// 2,048 characters: longer URLs are not a feed address someone typed.
    public static final int MAX_URL_CHARS = 2_048;

    public static EnergySettings defaults() {
        return new EnergySettings(0, "EUR", null, null, false, "", DEFAULT_GREEN_BELOW_G_PER_KWH, false);
    }

    /// A builder holding these settings, to change some fields and build a copy with the others kept (as
    /// {@link NodeSettings#toBuilder()}).
    public Builder toBuilder() {
        return new Builder(this);
    }

    /// Changes to an {@link EnergySettings}, field by field; {@link #build()} does not validate.
    public static final class Builder {
        private double pricePerKwh;
        private String currency;
        private LocalTime cheapFrom;
        private LocalTime cheapUntil;
        private boolean onlyCheapHours;
        private String carbonFeedUrl;
        private int greenBelowGramsPerKwh;
        private boolean onlyWhenGreen;

        private Builder(EnergySettings e) {
            pricePerKwh = e.pricePerKwh; currency = e.currency; cheapFrom = e.cheapFrom; cheapUntil = e.cheapUntil;
            onlyCheapHours = e.onlyCheapHours; carbonFeedUrl = e.carbonFeedUrl;
            greenBelowGramsPerKwh = e.greenBelowGramsPerKwh; onlyWhenGreen = e.onlyWhenGreen;
        }

        public Builder pricePerKwh(double v) { pricePerKwh = v; return this; }
        public Builder currency(String v) { currency = v; return this; }
        /// The cheap-hours window; both null for none.
        public Builder cheapHours(LocalTime from, LocalTime until) { cheapFrom = from; cheapUntil = until; return this; }
        public Builder onlyCheapHours(boolean v) { onlyCheapHours = v; return this; }
        public Builder carbonFeedUrl(String v) { carbonFeedUrl = v; return this; }
        public Builder greenBelowGramsPerKwh(int v) { greenBelowGramsPerKwh = v; return this; }
        public Builder onlyWhenGreen(boolean v) { onlyWhenGreen = v; return this; }

        public EnergySettings build() {
            return new EnergySettings(pricePerKwh, currency, cheapFrom, cheapUntil, onlyCheapHours, carbonFeedUrl,
                    greenBelowGramsPerKwh, onlyWhenGreen);
        }
    }

    /// The tariff, or null when no price is set.
    public Tariff tariff() {
        return pricePerKwh > 0 ? new Tariff(pricePerKwh, currency) : null;
    }

    public boolean hasCheapHours() {
        return cheapFrom != null && cheapUntil != null;
    }

    /// @throws InvalidSettingException naming the first bad field
    public EnergySettings validate() throws InvalidSettingException {
        if (!Double.isFinite(pricePerKwh) || pricePerKwh < 0 || pricePerKwh > MAX_PRICE_PER_KWH)
            throw new InvalidSettingException("pricePerKwh", "must be a price between 0 and 100000 per kWh (0 = not set)");
        if (currency == null || !currency.matches("[A-Z]{3}"))
            throw new InvalidSettingException("currency", "must be a three-letter ISO 4217 code such as EUR or USD");
        try {
            Currency.getInstance(currency);
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("currency", currency + " is not an ISO 4217 currency code");
        }
        if ((cheapFrom == null) != (cheapUntil == null))
            throw new InvalidSettingException("cheapHours", "give both the start and the end of the cheap hours, or neither");
        if (cheapFrom != null && cheapFrom.equals(cheapUntil))
            throw new InvalidSettingException("cheapHours", "the cheap hours need a start and an end that differ");
        if (onlyCheapHours && !hasCheapHours())
            throw new InvalidSettingException("onlyCheapHours", "set the cheap hours first");
        if (greenBelowGramsPerKwh < 1 || greenBelowGramsPerKwh > MAX_GREEN_BELOW_G_PER_KWH)
            throw new InvalidSettingException("greenBelowGramsPerKwh", "must be between 1 and 1000 g CO₂/kWh");
        if (carbonFeedUrl == null) throw new InvalidSettingException("carbonFeedUrl", "missing");
        if (!carbonFeedUrl.isBlank()) {
            if (carbonFeedUrl.length() > MAX_URL_CHARS)
                throw new InvalidSettingException("carbonFeedUrl", "is longer than 2048 characters");
            try {
                URI u = URI.create(carbonFeedUrl.strip());
                String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
                if (!scheme.equals("https") && !scheme.equals("http") || u.getHost() == null)
                    throw new InvalidSettingException("carbonFeedUrl", "must be an http:// or https:// address");
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("carbonFeedUrl", "is not an address: " + e.getMessage());
            }
        }
        if (onlyWhenGreen && carbonFeedUrl.isBlank())
            throw new InvalidSettingException("onlyWhenGreen", "set the carbon-intensity feed's address first");
        return this;
    }
}
