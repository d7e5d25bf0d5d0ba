package dev.hearth.coordinator.health;

import java.util.Map;

/// No step of a round passes [ModelHealth]'s checks, not even with one update left out, or every update was
/// dropped: the round is not committed and the run stays at its last healthy version. The updates found to break
/// the model's health ride along, so that their senders are still struck.
public final class UnhealthyStepException extends RuntimeException {
    private final transient Map<String, String> culprits;

    /// @param culprits node → why its update broke the model's health (may be empty)
    public UnhealthyStepException(String message, Map<String, String> culprits) {
        super(message);
        this.culprits = Map.copyOf(culprits);
    }

    public Map<String, String> culprits() {
        return culprits;
    }
}
