package dev.hearth.node.log;

import dev.hearth.node.api.LogEntry.Level;

/// What node code holds to write into the [EventLog]: `log.info("joined run nano-1")`.
public record NodeLogger(EventLog log, String source) {

    public void debug(String message) {
        log.log(Level.DEBUG, source, message);
    }

    public void info(String message) {
        log.log(Level.INFO, source, message);
    }

    public void warn(String message) {
        log.log(Level.WARN, source, message);
    }

    public void error(String message) {
        log.log(Level.ERROR, source, message);
    }

    /// Logs `message: <exception class>: <exception message>` — the stack trace goes to SLF4J only,
    /// because the app's log view is for people, not for stack traces.
    public void error(String message, Throwable cause) {
        log.log(Level.ERROR, source, message + ": " + describe(cause));
        org.slf4j.LoggerFactory.getLogger("hearth." + source).debug(message, cause);
    }

    public void warn(String message, Throwable cause) {
        log.log(Level.WARN, source, message + ": " + describe(cause));
        org.slf4j.LoggerFactory.getLogger("hearth." + source).debug(message, cause);
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
