package dev.hearth.coordinator.config;

/// A bad `run.toml` or command line; the message names the offending key or option and what is allowed,
/// e.g. `run.toml: key 'demo.top_k' must be between 1 and 4096, got 0`.
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
