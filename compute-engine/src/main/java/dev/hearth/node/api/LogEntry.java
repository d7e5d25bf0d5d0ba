package dev.hearth.node.api;

import java.time.Instant;

/// One line of the node's event log.
public record LogEntry(Instant at, Level level, String source, String message) {
    public enum Level { DEBUG, INFO, WARN, ERROR }
}
