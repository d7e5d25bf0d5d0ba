package dev.hearth.coordinator.ledger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/// Node sightings waiting to be written by [Ledger#flushNodeActivity]: one entry per node however often it was
/// seen (the first and last time, and its key once known), so 10,000 heartbeating nodes cost one row each per
/// flush instead of one transaction per heartbeat. Not thread-safe: the ledger's lock guards it.
final class NodeActivity {

    /// One node's pending sighting.
    record Seen(String nodeId, byte[] publicKey, long firstMillis, long lastMillis) {}

    private final Map<String, Seen> pending = new LinkedHashMap<>();
    private long oldestMillis = Long.MAX_VALUE;

    void seen(String nodeId, byte[] publicKey, long millis) {
        pending.merge(nodeId, new Seen(nodeId, publicKey, millis, millis), (a, b) -> new Seen(nodeId,
                a.publicKey() != null ? a.publicKey() : b.publicKey(), Math.min(a.firstMillis(), b.firstMillis()),
                Math.max(a.lastMillis(), b.lastMillis())));
        oldestMillis = Math.min(oldestMillis, millis);
    }

    /// A key seen but not written yet, or null.
    byte[] publicKey(String nodeId) {
        Seen s = pending.get(nodeId);
        return s == null ? null : s.publicKey();
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    int size() {
        return pending.size();
    }

    /// When the oldest pending sighting happened (`Long.MAX_VALUE` when none is pending).
    long oldestMillis() {
        return oldestMillis;
    }

    /// Everything pending, in first-seen order; the buffer is empty afterwards.
    List<Seen> drain() {
        List<Seen> out = new ArrayList<>(pending.values());
        pending.clear();
        oldestMillis = Long.MAX_VALUE;
        return out;
    }
}
