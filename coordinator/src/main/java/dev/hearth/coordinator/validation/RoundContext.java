package dev.hearth.coordinator.validation;

import java.time.Instant;
import java.util.Set;

/// What an upload is checked against: the coordinator's view of the open round.
///
/// @param assigned    nodes with batches in this round
/// @param uploaded    nodes whose upload for this round was already received (accepted or not)
/// @param quarantined nodes that may not contribute
public record RoundContext(int protocolVersion, String runId, long round, long baseVersion, Instant deadline,
                           Set<String> assigned, Set<String> uploaded, Set<String> quarantined) {
    public RoundContext {
        assigned = Set.copyOf(assigned);
        uploaded = Set.copyOf(uploaded);
        quarantined = Set.copyOf(quarantined);
    }
}
