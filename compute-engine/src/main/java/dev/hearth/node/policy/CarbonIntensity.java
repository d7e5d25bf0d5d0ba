package dev.hearth.node.policy;

import java.time.Instant;
import java.util.Objects;

/// The grid's carbon intensity as the owner's feed gave it (docs/carbon-feed.md).
///
/// @param gramsPerKwh g CO₂ per kWh, 0..[dev.hearth.node.energy.CarbonFeed#MAX_G_PER_KWH]
/// @param validUntil  until when the feed vouches for the figure; after it the figure is stale
public record CarbonIntensity(double gramsPerKwh, Instant validUntil) {

    public CarbonIntensity {
        Objects.requireNonNull(validUntil, "validUntil");
    }
}
