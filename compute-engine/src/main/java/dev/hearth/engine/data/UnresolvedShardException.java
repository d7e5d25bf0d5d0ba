package dev.hearth.engine.data;

/// A window of a run's data was asked for whose shard is not on this machine, or whose bytes do not match the
/// run's manifest. The trainer fails the round rather than train on anything else.
public final class UnresolvedShardException extends IllegalStateException {
    public UnresolvedShardException(String message) {
        super(message);
    }

    public UnresolvedShardException(String message, Throwable cause) {
        super(message, cause);
    }
}
