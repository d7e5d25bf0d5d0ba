package dev.hearth.coordinator.run;

import dev.hearth.coordinator.run.RunAction.AcceptedUpload;
import dev.hearth.coordinator.run.Verdict.Rule;
import dev.hearth.engine.demo.SparseUpdate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/// The run's rounds as a pure state machine (Psyche's `coordinator.rs` idea): events come in as method
/// calls with an explicit `now`, and {@link #tick(Instant, long)} returns the {@link RunAction}s the I/O
/// layer performs. No clock, no randomness, no I/O in here; tests drive time by hand.
///
/// ```
///                 ready >= minNodes                 quorum | all answered | deadline
/// WAITING_FOR_NODES ───────────────► ROUND_OPEN ─────────────────────────────────► AGGREGATING
///        ▲   ▲                          │ deadline or everyone gone, nothing accepted   │ committed(...)
///        │   └──────── RoundFailed ─────┘   (batches back to the pool, new round id)   ▼
///        └────────────── fewer than minNodes ready ◄─────── next tick ─────────── COMMITTED
/// any boundary: pause() → PAUSED (resume() → WAITING_FOR_NODES); totalRounds or finish() → FINISHED
/// ```
///
/// Round ids grow with every attempt (a retried round gets a new id), so a stale upload for a failed
/// attempt can never count in its retry; versions grow only on commit.
/// Not thread-safe: call it from one thread (the I/O layer's event loop or a single executor).
public final class RunStateMachine {

    private final RunRules rules;
    private final BatchPool pool;
    private final SpeedTracker speeds = new SpeedTracker();
    /// Nodes ready to train, sorted by id so that assignments are a function of the inputs alone.
    private final Map<String, Instant> ready = new TreeMap<>();

    private RunPhase phase = RunPhase.WAITING_FOR_NODES;
    private long lastRound;
    private long version;
    private boolean pauseRequested;
    private String finishReason;
    private Round current;

    /// Mutable bookkeeping of the open (or aggregating) round.
    private static final class Round {
        final long id;
        final long baseVersion;
        final Instant opened;
        final Instant deadline;
        final Map<String, List<BatchRef>> assigned = new TreeMap<>();
        final Map<String, AcceptedUpload> accepted = new TreeMap<>();
        final Map<String, String> discarded = new TreeMap<>();
        final Set<String> left = new TreeSet<>();

        Round(long id, long baseVersion, Instant opened, Instant deadline) {
            this.id = id;
            this.baseVersion = baseVersion;
            this.opened = opened;
            this.deadline = deadline;
        }

        int outstanding() {
            int n = 0;
            for (String node : assigned.keySet()) {
                if (!accepted.containsKey(node) && !discarded.containsKey(node) && !left.contains(node)) {
                    n++;
                }
            }
            return n;
        }
    }

    /// A new run at round 0, version 0.
    public RunStateMachine(RunRules rules) {
        this(rules, new BatchPool(rules.trainWindows(), rules.seed()), 0, 0);
    }

    /// A run resumed after a restart: the next round id is `lastRound + 1`, training continues from `version`.
    ///
    /// @param pool the pool restored from the ledger ({@link BatchPool#restore})
    public RunStateMachine(RunRules rules, BatchPool pool, long lastRound, long version) {
        this.rules = Objects.requireNonNull(rules);
        this.pool = Objects.requireNonNull(pool);
        if (pool.size() != rules.trainWindows()) {
            throw new IllegalArgumentException("pool has " + pool.size() + " windows, rules say " + rules.trainWindows());
        }
        if (lastRound < 0 || version < 0 || version > lastRound) {
            throw new IllegalArgumentException("cannot resume at round " + lastRound + ", version " + version
                    + ": need 0 <= version <= round");
        }
        this.lastRound = lastRound;
        this.version = version;
    }

    // ---- inputs -------------------------------------------------------------------------------------

    /// A node finished its handshake and has the current checkpoint. It gets batches from the next round
    /// that opens (not the open one).
    ///
    /// @param tokensPerSecond the node's own estimate from its Hello, used until it has uploaded once
    public void nodeReady(String nodeId, double tokensPerSecond, Instant now) {
        Objects.requireNonNull(nodeId, "node id");
        ready.put(nodeId, now);
        speeds.estimate(nodeId, tokensPerSecond);
    }

    /// A node disconnected. Its outstanding batches of the open round go back to the front of the pool
    /// at once; an upload it already sent still counts.
    ///
    /// @return the batches returned to the pool (empty if it had none outstanding)
    public List<BatchRef> nodeLeft(String nodeId, Instant now) {
        ready.remove(nodeId);
        if (current == null || phase != RunPhase.ROUND_OPEN) {
            return List.of();
        }
        List<BatchRef> batches = current.assigned.get(nodeId);
        if (batches == null || current.accepted.containsKey(nodeId) || current.discarded.containsKey(nodeId)
                || !current.left.add(nodeId)) {
            return List.of();
        }
        pool.giveBack(batches);
        return batches;
    }

    /// One upload as the round sees it.
    ///
    /// @param round       the round the node says it trained
    /// @param baseVersion the version the node says it trained from
    /// @param tokens      tokens the node says it trained; must be positive and not exceed what it was assigned
    /// @param receivedAt  when its last byte arrived
    /// @param l2Norm      the norm of its decoded update (NaN when it did not decode)
    /// @param update      the decoded update (null when it did not decode), handed to aggregation if accepted
    /// @param localLoss   the mean loss the node reports
    public record Upload(String nodeId, long round, long baseVersion, long tokens, Instant receivedAt, double l2Norm,
                         SparseUpdate update, double localLoss) {
        public Upload {
            Objects.requireNonNull(nodeId, "node id");
            Objects.requireNonNull(receivedAt, "arrival time");
        }
    }

    /// An upload arrived. The machine owns who uploaded: it checks the round rules (open round, assigned, once,
    /// base version, in time, still assigned, tokens) and takes `payload`, the verdict of the payload rules
    /// ({@code UpdateValidator}: run, signature, shape, values); the first broken rule in {@link Verdict.Rule} order
    /// wins. A rejected upload of an assigned node that had not answered yet answers for it: it does not count, a
    /// second upload is a duplicate, the round stops waiting for it and its batches go back when the round closes.
    /// With no round open, the round rules answer alone.
    public Verdict uploadReceived(Upload up, Verdict payload) {
        if (current == null || phase != RunPhase.ROUND_OPEN) {
            return noOpenRound(up);
        }
        Verdict verdict = Verdict.first(payload, roundRules(up));
        if (verdict.accepted()) {
            List<BatchRef> batches = current.assigned.get(up.nodeId());
            current.accepted.put(up.nodeId(), new AcceptedUpload(up.nodeId(), up.tokens(), up.receivedAt(), batches,
                    up.l2Norm(), up.update(), up.localLoss()));
            speeds.measured(up.nodeId(), up.tokens(), Duration.between(current.opened, up.receivedAt()));
        } else if (up.round() == current.id && unanswered(up.nodeId())) {
            // its one answer of the round was invalid: the round stops waiting for it
            current.discarded.put(up.nodeId(), verdict.reason());
        }
        return verdict;
    }

    /// Whether `node` is assigned in the open round and has neither answered nor left.
    private boolean unanswered(String node) {
        return current.assigned.containsKey(node) && !current.accepted.containsKey(node)
                && !current.discarded.containsKey(node) && !current.left.contains(node);
    }

    /// The round rules with a round open, in {@link Verdict.Rule} order.
    private Verdict roundRules(Upload up) {
        String node = up.nodeId();
        long round = up.round();
        if (round != current.id) {
            return Verdict.reject(Rule.ROUND, "update is for round " + round + ", the open round is " + current.id);
        }
        List<BatchRef> batches = current.assigned.get(node);
        if (batches == null) {
            return Verdict.reject(Rule.NOT_ASSIGNED, "node " + node + " has no batches in round " + round);
        }
        if (current.accepted.containsKey(node) || current.discarded.containsKey(node)) {
            return Verdict.reject(Rule.DUPLICATE, "node " + node + " already uploaded for round " + round
                    + " (one update per node per round)");
        }
        if (up.baseVersion() != current.baseVersion) {
            return Verdict.reject(Rule.BASE_VERSION, "trained from version " + up.baseVersion() + ", round " + round
                    + " trains from version " + current.baseVersion);
        }
        if (up.receivedAt().isAfter(current.deadline)) {
            return Verdict.reject(Rule.DEADLINE, "late: arrived " + Duration.between(current.deadline, up.receivedAt())
                    .toMillis() + " ms after the deadline of round " + round);
        }
        if (current.left.contains(node)) {
            return Verdict.reject(Rule.DEADLINE, "late: node " + node + " disconnected during round " + round
                    + " and its batches were reassigned");
        }
        long assignedTokens = (long) batches.size() * rules.tokensPerSequence();
        if (up.tokens() <= 0 || up.tokens() > assignedTokens) {
            return Verdict.reject(Rule.TOKENS, "bad token count: claims " + up.tokens() + " tokens, assigned "
                    + assignedTokens);
        }
        return Verdict.accept();
    }

    /// Between rounds or while one is aggregated: too late, or a round that never opened.
    private Verdict noOpenRound(Upload up) {
        long round = up.round();
        if (current == null) {
            if (round <= lastRound) {
                return Verdict.reject(Rule.DEADLINE, "late: round " + round + " is closed");
            }
            return Verdict.reject(Rule.ROUND, "no round is open (run " + phase.name().toLowerCase() + ")");
        }
        if (round < current.id) {
            return Verdict.reject(Rule.DEADLINE, "late: round " + round + " is closed, round " + current.id + " is open");
        }
        if (round > current.id) {
            return Verdict.reject(Rule.ROUND, "wrong round: " + round + " has not been opened, round " + current.id
                    + " is the latest");
        }
        return Verdict.reject(Rule.DEADLINE, "late: round " + round + " is already being aggregated");
    }

    /// The I/O layer aggregated round `round`, applied the outer step and persisted version `newVersion`.
    ///
    /// @param dropped nodes whose accepted upload was left out at aggregation (norm outlier, spot check);
    ///                their batches return to the pool
    public RoundCommit committed(long round, long newVersion, Set<String> dropped, Instant now) {
        if (phase != RunPhase.AGGREGATING || current == null || current.id != round) {
            throw new IllegalStateException("commit of round " + round + " but " + describe());
        }
        if (newVersion != version + 1) {
            throw new IllegalStateException("commit of round " + round + " claims version " + newVersion + ", expected "
                    + (version + 1));
        }
        var committed = new TreeMap<String, List<BatchRef>>();
        var tokens = new TreeMap<String, Long>();
        var returned = new ArrayList<BatchRef>();
        for (AcceptedUpload up : current.accepted.values()) {
            if (dropped.contains(up.nodeId())) {
                returned.addAll(up.batches());
            } else {
                committed.put(up.nodeId(), up.batches());
                tokens.put(up.nodeId(), up.tokens());
            }
        }
        if (committed.isEmpty()) {
            throw new IllegalStateException("commit of round " + round + " drops every upload: call aggregationFailed");
        }
        pool.giveBack(returned);
        committed.values().forEach(pool::commit);
        var result = new RoundCommit(round, current.baseVersion, newVersion, current.opened, now, committed, tokens, returned);
        version = newVersion;
        current = null;
        phase = RunPhase.COMMITTED;
        return result;
    }

    /// Aggregation could not produce a version (every update dropped, an I/O error). The round's batches
    /// go back to the pool and a new round opens on a later tick.
    public List<BatchRef> aggregationFailed(long round, String reason) {
        if (phase != RunPhase.AGGREGATING || current == null || current.id != round) {
            throw new IllegalStateException("aggregation failure of round " + round + " but " + describe());
        }
        var returned = new ArrayList<BatchRef>();
        current.accepted.values().forEach(up -> returned.addAll(up.batches()));
        pool.giveBack(returned);
        current = null;
        phase = RunPhase.WAITING_FOR_NODES;
        return returned;
    }

    /// Pause at the next round boundary (an open round still finishes).
    public void pause() {
        if (phase != RunPhase.FINISHED) {
            pauseRequested = true;
        }
    }

    /// Leave PAUSED (or cancel a pending pause).
    public void resume() {
        pauseRequested = false;
        if (phase == RunPhase.PAUSED) {
            phase = RunPhase.WAITING_FOR_NODES;
        }
    }

    /// Finish on the next tick; an open round is dropped (its batches go back to the pool), a round being
    /// aggregated is allowed to commit first.
    public void finish(String reason) {
        if (phase != RunPhase.FINISHED) {
            finishReason = Objects.requireNonNull(reason);
        }
    }

    // ---- time ---------------------------------------------------------------------------------------

    /// Advances the run to `now`.
    ///
    /// @param seed the spot-check sampler's seed: the coordinator's secret one (`CoordinatorSecret`), never the run's
    ///             public seed, or nodes could tell in advance when they are checked
    /// @return the actions to perform, in order (often none)
    public List<RunAction> tick(Instant now, long seed) {
        var actions = new ArrayList<RunAction>();
        switch (phase) {
            case WAITING_FOR_NODES, COMMITTED -> atBoundary(now, actions);
            case ROUND_OPEN -> whileOpen(now, seed, actions);
            case AGGREGATING, PAUSED, FINISHED -> {
                // waiting for committed()/aggregationFailed(), resume(), or nothing at all
            }
        }
        return actions;
    }

    private void atBoundary(Instant now, List<RunAction> actions) {
        if (finishReason != null) {
            finishNow(finishReason, actions);
            return;
        }
        if (version >= rules.totalRounds()) {
            finishNow("reached the run's " + rules.totalRounds() + " rounds", actions);
            return;
        }
        if (pauseRequested) {
            pauseRequested = false;
            phase = RunPhase.PAUSED;
            actions.add(new RunAction.RunPaused("paused by the operator at version " + version));
            return;
        }
        if (ready.size() < rules.minNodes()) {
            phase = RunPhase.WAITING_FOR_NODES;
            return;
        }
        openRound(now, actions);
    }

    private void finishNow(String reason, List<RunAction> actions) {
        phase = RunPhase.FINISHED;
        actions.add(new RunAction.RunFinished(reason, version));
    }

    private void openRound(Instant now, List<RunAction> actions) {
        var assignments = new LinkedHashMap<String, List<BatchRef>>();
        var tokens = new HashMap<String, Long>();
        var expected = new HashMap<String, Double>();
        for (String node : ready.keySet()) {
            assignments.put(node, pool.take(rules.sequencesPerNode()));
            tokens.put(node, rules.tokensPerNode());
            expected.put(node, speeds.speed(node));
        }
        DeadlinePolicy.Choice choice = rules.deadline().choose(tokens, expected);
        lastRound++;
        current = new Round(lastRound, version, now, now.plus(choice.duration()));
        current.assigned.putAll(assignments);
        phase = RunPhase.ROUND_OPEN;
        var ids = new TreeMap<String, long[]>();
        assignments.forEach((node, refs) -> ids.put(node, refs.stream().mapToLong(BatchRef::id).toArray()));
        actions.add(new RunAction.OpenRound(current.id, version, ids, now, current.deadline, choice.reason()));
    }

    private void whileOpen(Instant now, long seed, List<RunAction> actions) {
        Round r = current;
        int accepted = r.accepted.size();
        int outstanding = r.outstanding();
        if (finishReason != null) {
            failRound("run finished by the operator: " + finishReason, actions);
            finishNow(finishReason, actions);
            return;
        }
        if (accepted >= rules.minUploads()) {
            closeForAggregation(now, seed, "quorum: " + accepted + " accepted uploads (min " + rules.minUploads() + ")",
                    actions);
        } else if (outstanding == 0 && accepted > 0) {
            closeForAggregation(now, seed, "every assigned node answered (" + accepted + " accepted)", actions);
        } else if (outstanding == 0) {
            failRound("no accepted uploads: every assigned node left or was rejected", actions);
        } else if (!now.isBefore(r.deadline)) {
            if (accepted > 0) {
                closeForAggregation(now, seed, "deadline: " + accepted + " accepted, " + outstanding + " missed", actions);
            } else {
                failRound("deadline passed with no accepted uploads (" + outstanding + " nodes missed it)", actions);
            }
        }
    }

    /// Returns the batches of stragglers and discarded uploads to the pool and hands the rest to aggregation.
    private void closeForAggregation(Instant now, long seed, String reason, List<RunAction> actions) {
        Round r = current;
        var stragglers = new TreeSet<String>();
        for (var e : r.assigned.entrySet()) {
            String node = e.getKey();
            if (r.accepted.containsKey(node) || r.left.contains(node)) {
                continue;
            }
            pool.giveBack(e.getValue());
            if (!r.discarded.containsKey(node)) {
                stragglers.add(node);
                speeds.missed(node, rules.tokensPerNode(), Duration.between(r.opened, now));
            }
        }
        Set<String> spot = SpotCheckSampler.choose(r.accepted.keySet(), rules.spotCheckFraction(), r.id, seed);
        phase = RunPhase.AGGREGATING;
        actions.add(new RunAction.Aggregate(r.id, r.baseVersion, List.copyOf(r.accepted.values()), spot, stragglers, reason));
    }

    private void failRound(String reason, List<RunAction> actions) {
        Round r = current;
        var returned = new ArrayList<BatchRef>();
        for (var e : r.assigned.entrySet()) {
            if (!r.left.contains(e.getKey())) {
                returned.addAll(e.getValue());
                if (!r.accepted.containsKey(e.getKey()) && !r.discarded.containsKey(e.getKey())) {
                    speeds.missed(e.getKey(), rules.tokensPerNode(), Duration.between(r.opened, r.deadline));
                }
            }
        }
        pool.giveBack(returned);
        current = null;
        phase = RunPhase.WAITING_FOR_NODES;
        actions.add(new RunAction.RoundFailed(r.id, reason, returned));
    }

    // ---- views --------------------------------------------------------------------------------------

    public RunPhase phase() {
        return phase;
    }

    /// The committed model version (number of committed rounds).
    public long version() {
        return version;
    }

    /// The id of the last round opened (0 before the first).
    public long lastRound() {
        return lastRound;
    }

    public Set<String> readyNodes() {
        return Set.copyOf(ready.keySet());
    }

    public RunRules rules() {
        return rules;
    }

    /// Expected tokens/s per node.
    public Map<String, Double> speeds() {
        return speeds.snapshot();
    }

    /// What an upload for the open round is checked against, or null when no round is open.
    public RoundView openRound() {
        if (current == null || phase != RunPhase.ROUND_OPEN) {
            return null;
        }
        return new RoundView(current.id, current.baseVersion, current.opened, current.deadline,
                Set.copyOf(current.assigned.keySet()), Set.copyOf(current.accepted.keySet()),
                Set.copyOf(current.discarded.keySet()));
    }

    /// A read-only snapshot of the open round.
    public record RoundView(long round, long baseVersion, Instant opened, Instant deadline, Set<String> assigned,
                            Set<String> accepted, Set<String> discarded) {
    }

    /// Proves the batch accounting of the pool (see {@link BatchPool#checkInvariant()}) and that the open
    /// round's outstanding batches are exactly the pool's outstanding ones.
    public void checkInvariant() {
        pool.checkInvariant();
        long held = 0;
        if (current != null) {
            for (var e : current.assigned.entrySet()) {
                if (!current.left.contains(e.getKey()) && (phase == RunPhase.ROUND_OPEN || current.accepted.containsKey(e.getKey()))) {
                    held += e.getValue().size();
                }
            }
        }
        if (held != pool.outstandingCount()) {
            throw new IllegalStateException("the round holds " + held + " batches but the pool has " + pool.outstandingCount()
                    + " outstanding");
        }
    }

    /// The pool (read-only use: epoch, counts, invariant).
    public BatchPool pool() {
        return pool;
    }

    private String describe() {
        return "the run is " + phase + (current == null ? "" : " in round " + current.id);
    }
}
