package dev.hearth.node.policy;

import dev.hearth.node.api.NodeSettings;
import java.time.Instant;
import java.util.Objects;

/// Remembers the previous [Decision] so that callers get [IdlePolicy]'s hysteresis without carrying
/// it themselves. Thread-safe. The node's policy loop calls [#update] about once a second.
public final class PolicyTracker {
    private Decision last = Decision.NONE;

    public synchronized Decision update(Readings readings, NodeSettings settings, OwnerState owner, Instant now) {
        last = IdlePolicy.decide(readings, settings, owner, now, last);
        return last;
    }

    public synchronized Decision last() {
        return last;
    }

    /// Forgets holds (e.g. after the owner changed the settings).
    public synchronized void reset() {
        last = Decision.NONE;
    }

    @Override
    public String toString() {
        return "PolicyTracker[" + Objects.toString(last) + "]";
    }
}
