package dev.hearth.node.policy;

import java.util.Objects;
import java.util.function.Function;

/// What a probe measured, or why it could not: probes never throw on machines without the thing
/// they look for (no X server, no NVIDIA driver, no battery); they say so in plain words.
public sealed interface Reading<T> {

    record Available<T>(T value) implements Reading<T> {
        public Available {
            Objects.requireNonNull(value, "value");
        }
    }

    /// @param why e.g. "no NVIDIA driver (libnvidia-ml not found)", "no X display ($DISPLAY is not set)"
    record Unavailable<T>(String why) implements Reading<T> {
        public Unavailable {
            Objects.requireNonNull(why, "why");
        }
    }

    static <T> Reading<T> of(T value) {
        return new Available<>(value);
    }

    static <T> Reading<T> unavailable(String why) {
        return new Unavailable<>(why);
    }

    default boolean isAvailable() {
        return this instanceof Available<T>;
    }

    /// The value, or `fallback` when unavailable.
    default T orElse(T fallback) {
        return this instanceof Available<T>(T v) ? v : fallback;
    }

    default <R> Reading<R> map(Function<? super T, ? extends R> f) {
        return switch (this) {
            case Available<T>(T v) -> new Available<>(f.apply(v));
            case Unavailable<T>(String why) -> new Unavailable<>(why);
        };
    }

    /// The value's text, or "unavailable: why".
    default String describe() {
        return switch (this) {
            // "8 s", not Duration's "PT7.995S"
            case Available<T>(T v) when v instanceof java.time.Duration d -> dev.hearth.node.api.Durations.words(d.plusMillis(500));
            case Available<T>(T v) -> String.valueOf(v);
            case Unavailable<T>(String why) -> "unavailable: " + why;
        };
    }
}
