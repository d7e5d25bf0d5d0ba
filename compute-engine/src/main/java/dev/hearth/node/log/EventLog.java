package dev.hearth.node.log;

import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.LogEntry.Level;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.LoggerFactory;

/// The node's event log: a bounded ring of [LogEntry] lines that the desktop app shows, plus
/// listeners that hear each new line on an executor of their choosing.
///
/// Node code logs through [#logger(String)] and never needs SLF4J itself; every accepted line is
/// also forwarded to SLF4J (`hearth.<source>`), which slf4j-simple prints to stderr, so a headless
/// node's console and the app's log view show the same lines.
///
/// Thread-safe: appends take a short lock; listeners run on their executors, never under the lock.
public final class EventLog {

    /// 2,000 lines: about an hour of a busy node (one round ≈ 5–10 lines per minute) at ~200 B each,
    /// i.e. ~400 KB of heap — enough to explain what happened recently without growing forever.
    public static final int DEFAULT_CAPACITY = 2_000;

    private final int capacity;
    private final Clock clock;
    private final ArrayDeque<LogEntry> ring;
    private final CopyOnWriteArrayList<Registration> listeners = new CopyOnWriteArrayList<>();
    private volatile Level threshold = Level.INFO;

    public EventLog(Clock clock) {
        this(DEFAULT_CAPACITY, clock);
    }

    public EventLog(int capacity, Clock clock) {
        if (capacity < 1) throw new IllegalArgumentException("event log capacity must be at least 1 line, got " + capacity);
        this.capacity = capacity;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ring = new ArrayDeque<>(Math.min(capacity, 256));
    }

    /// Lines below this level are dropped (neither kept nor forwarded). Default INFO.
    public void setLevel(Level level) {
        threshold = Objects.requireNonNull(level, "level");
    }

    /// Parses a settings value ("DEBUG", "INFO", "WARN", "ERROR"); unknown values keep INFO.
    public void setLevel(String level) {
        try {
            setLevel(Level.valueOf(level));
        } catch (IllegalArgumentException | NullPointerException e) {
            setLevel(Level.INFO);
        }
    }

    public Level level() {
        return threshold;
    }

    public boolean isEnabled(Level level) {
        return level.compareTo(threshold) >= 0;
    }

    /// A logger that stamps lines with `source` (e.g. "history", "policy", "worker").
    public NodeLogger logger(String source) {
        return new NodeLogger(this, source);
    }

    /// Records a line stamped with the log's clock; returns it, or null when below the level.
    public LogEntry log(Level level, String source, String message) {
        if (!isEnabled(level)) return null;
        LogEntry entry = new LogEntry(clock.instant(), level, source, message);
        append(entry);
        return entry;
    }

    /// Adds a ready-made line (still subject to the level filter) and notifies listeners.
    public void append(LogEntry entry) {
        Objects.requireNonNull(entry, "entry");
        if (!isEnabled(entry.level())) return;
        synchronized (ring) {
            if (ring.size() == capacity) ring.removeFirst();
            ring.addLast(entry);
        }
        forwardToSlf4j(entry);
        for (Registration r : listeners) r.deliver(entry);
    }

    /// Every kept line, oldest first.
    public List<LogEntry> recent() {
        synchronized (ring) {
            return List.copyOf(ring);
        }
    }

    /// Kept lines at or above `min`, oldest first.
    public List<LogEntry> recent(Level min) {
        List<LogEntry> out = new ArrayList<>();
        synchronized (ring) {
            for (LogEntry e : ring) if (e.level().compareTo(min) >= 0) out.add(e);
        }
        return List.copyOf(out);
    }

    public int capacity() {
        return capacity;
    }

    /// Calls `listener` with every new line, on `executor`. Close the returned handle to stop.
    public AutoCloseable addListener(Consumer<LogEntry> listener, Executor executor) {
        Registration r = new Registration(Objects.requireNonNull(listener, "listener"), Objects.requireNonNull(executor, "executor"));
        listeners.add(r);
        return () -> listeners.remove(r);
    }

    private static void forwardToSlf4j(LogEntry e) {
        var logger = LoggerFactory.getLogger("hearth." + e.source());
        switch (e.level()) {
            case DEBUG -> logger.debug(e.message());
            case INFO -> logger.info(e.message());
            case WARN -> logger.warn(e.message());
            case ERROR -> logger.error(e.message());
        }
    }

    private record Registration(Consumer<LogEntry> listener, Executor executor) {
        void deliver(LogEntry entry) {
            try {
                executor.execute(() -> listener.accept(entry));
            } catch (RejectedExecutionException e) {
                // The listener's executor has shut down (a closed window); the line stays in the ring.
            }
        }
    }
}
