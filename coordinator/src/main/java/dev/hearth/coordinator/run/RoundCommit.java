package dev.hearth.coordinator.run;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/// What a commit settled, returned by {@link RunStateMachine#committed} for the ledger.
///
/// @param committed node id → the batches its update trained into `version`
/// @param returned  batches back in the pool (dropped at aggregation: norm outlier, failed spot check)
/// @param tokens    node id → tokens of its committed update
public record RoundCommit(long round, long baseVersion, long version, Instant opened, Instant committedAt,
                          Map<String, List<BatchRef>> committed, Map<String, Long> tokens, List<BatchRef> returned) {
    public RoundCommit {
        committed = Map.copyOf(committed);
        tokens = Map.copyOf(tokens);
        returned = List.copyOf(returned);
    }

    public long totalTokens() {
        return tokens.values().stream().mapToLong(Long::longValue).sum();
    }
}
