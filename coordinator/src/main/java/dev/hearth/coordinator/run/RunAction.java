package dev.hearth.coordinator.run;

import dev.hearth.engine.demo.SparseUpdate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/// What {@link RunStateMachine#tick} asks the I/O layer to do. Immutable; safe to hand to another thread.
public sealed interface RunAction {

    /// Send `RoundStart` to each assigned node.
    ///
    /// @param round       unique id of this round attempt (a retried round gets a new id)
    /// @param baseVersion model version the nodes must train from
    /// @param batches     node id → assigned batch ids (window indices), in training order
    /// @param opened      when the round opened (the `now` of the tick); speeds are measured from here
    /// @param deadline    uploads after this instant are rejected as late
    /// @param deadlineReason how the deadline was chosen, for the log
    record OpenRound(long round, long baseVersion, Map<String, long[]> batches, Instant opened, Instant deadline,
                     String deadlineReason) implements RunAction {
        public OpenRound {
            var copy = new TreeMap<String, long[]>();
            batches.forEach((k, v) -> copy.put(k, v.clone()));
            batches = java.util.Collections.unmodifiableMap(copy);
        }

        @Override
        public Map<String, long[]> batches() {
            var copy = new TreeMap<String, long[]>();
            batches.forEach((k, v) -> copy.put(k, v.clone()));
            return copy;
        }

        @Override
        public String toString() {
            var sb = new StringBuilder("OpenRound[round=").append(round).append(", base=").append(baseVersion)
                    .append(", deadline=").append(deadline).append(", batches={");
            batches.forEach((k, v) -> sb.append(k).append('=').append(Arrays.toString(v)).append(' '));
            return sb.append("}]").toString();
        }
    }

    /// Decode and aggregate these uploads, apply the outer step, then call
    /// {@link RunStateMachine#committed} (or {@link RunStateMachine#aggregationFailed}).
    ///
    /// @param uploads    the accepted uploads, by node id order
    /// @param spotCheck  nodes whose update should get the loss spot check this round (seeded choice)
    /// @param stragglers nodes that were assigned but did not upload in time (their batches went back to the pool)
    /// @param reason     why the round closed now (quorum, everyone answered, deadline)
    record Aggregate(long round, long baseVersion, List<AcceptedUpload> uploads, Set<String> spotCheck,
                     Set<String> stragglers, String reason) implements RunAction {
        public Aggregate {
            uploads = List.copyOf(uploads);
            spotCheck = Set.copyOf(spotCheck);
            stragglers = Set.copyOf(stragglers);
        }
    }

    /// The round produced nothing to aggregate; its batches are back in the pool and a new round opens
    /// (with a new id) on a later tick. Tell the assigned nodes to drop the round.
    record RoundFailed(long round, String reason, List<BatchRef> returned) implements RunAction {
        public RoundFailed {
            returned = List.copyOf(returned);
        }
    }

    /// The run is paused at a round boundary.
    record RunPaused(String reason) implements RunAction {
    }

    /// The run is over; tell the nodes and stop serving rounds.
    record RunFinished(String reason, long version) implements RunAction {
    }

    /// One upload that passed every rule on arrival: what aggregation takes.
    ///
    /// @param tokens     tokens the node trained (its weight in the token-weighted mean)
    /// @param receivedAt when the upload arrived
    /// @param batches    the batches the node was assigned and trained
    /// @param l2Norm     the L2 norm of its decoded update (for the round's median bound)
    /// @param update     the decoded update, carried to aggregation untouched (null where a test of the bookkeeping
    ///                   aggregates nothing)
    /// @param localLoss  the mean loss the node reports for its round
    record AcceptedUpload(String nodeId, long tokens, Instant receivedAt, List<BatchRef> batches, double l2Norm,
                          SparseUpdate update, double localLoss) {
        public AcceptedUpload {
            batches = List.copyOf(batches);
        }

        /// The window ids of its batches, in training order.
        public long[] batchIds() {
            return batches.stream().mapToLong(BatchRef::id).toArray();
        }
    }
}
