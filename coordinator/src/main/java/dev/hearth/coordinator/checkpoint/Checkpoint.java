package dev.hearth.coordinator.checkpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/// The coordinator's model state at a committed version: the flat parameters (in
/// `dev.hearth.engine.model.ParameterLayout` order) and small named float arrays (e.g. aggregator state).
///
/// The arrays are not copied (a checkpoint of a 124M-parameter model is 0.5 GB); callers must not modify
/// them after handing them over.
///
/// @param runId   the run it belongs to; loading it into another run is refused
/// @param round   the round whose commit produced `version`
/// @param version the committed version (>= 0)
/// @param params  the flat parameter vector
/// @param arrays  named extra state, in insertion order
public record Checkpoint(String runId, long round, long version, float[] params, Map<String, float[]> arrays) {
    public Checkpoint {
        Objects.requireNonNull(runId, "run id");
        Objects.requireNonNull(params, "params");
        if (round < 0 || version < 0) {
            throw new IllegalArgumentException("checkpoint round and version must be >= 0, got " + round + ", " + version);
        }
        arrays = Collections.unmodifiableMap(new LinkedHashMap<>(arrays));
    }

    public Checkpoint(String runId, long round, long version, float[] params) {
        this(runId, round, version, params, Map.of());
    }
}
