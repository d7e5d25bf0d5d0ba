package dev.hearth.coordinator.service;

import dev.hearth.coordinator.checkpoint.Checkpoint;
import dev.hearth.coordinator.checkpoint.CheckpointManifest;
import dev.hearth.coordinator.checkpoint.CheckpointStore;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.dashboard.DashboardSource;
import dev.hearth.coordinator.dashboard.LedgerDashboardSource;
import dev.hearth.coordinator.ledger.Ledger;
import dev.hearth.coordinator.ledger.RoundStats;
import dev.hearth.coordinator.ledger.UpdateRecord;
import dev.hearth.coordinator.run.BatchPool;
import dev.hearth.coordinator.run.RoundCommit;
import dev.hearth.coordinator.run.RunAction;
import dev.hearth.coordinator.run.RunPhase;
import dev.hearth.coordinator.run.RunRules;
import dev.hearth.coordinator.run.RunStateMachine;
import dev.hearth.coordinator.run.Verdict;
import dev.hearth.coordinator.validation.SpotCheckPolicy;
import dev.hearth.coordinator.validation.UpdateValidator;
import dev.hearth.coordinator.validation.UpdateView;
import dev.hearth.engine.demo.SparseUpdate;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/// The run with its state on disk: the pure {@link RunStateMachine} plus the {@link Ledger}, the
/// {@link CheckpointStore}, the {@link UpdateValidator} and the {@link SpotCheckPolicy}, kept consistent with
/// each other. The I/O layer (Netty session handler, aggregation worker) calls this and performs the returned
/// actions; it never writes the ledger or checkpoints itself.
///
/// Restart: {@link #open} loads the newest valid checkpoint (version V), marks rounds cut off by the crash
/// ABANDONED, rolls back ledger commits after V (their batches are trained again), and rebuilds the batch pool
/// from what the ledger says is committed. Round ids keep growing, so uploads for a round from before the
/// crash are rejected as late.
///
/// Threads: every method does SQLite writes with fsync; call them from one run executor, not from a Netty
/// event loop. Methods are synchronized so a second caller (the dashboard) sees consistent state.
public final class RunService implements AutoCloseable {

    private final RunConfig config;
    private final Ledger ledger;
    private final CheckpointStore checkpoints;
    private final RunStateMachine machine;
    private final UpdateValidator validator;
    private final SpotCheckPolicy spotChecks;
    private final List<String> startupNotes;
    private final Set<String> quarantined = new HashSet<>();
    private float[] params;
    private Map<String, float[]> extraState;
    /// Set when a ledger or checkpoint write failed after the state machine moved on: memory and disk may
    /// disagree, so the run refuses to continue; a restart resumes consistently from disk.
    private String broken;
    /// Why the last round was not committed for the model's health, until a healthy version is published.
    private String healthFault;

    private RunService(RunConfig config, Ledger ledger, CheckpointStore checkpoints, RunStateMachine machine,
                       float[] params, Map<String, float[]> extraState, List<String> startupNotes) {
        this.config = config;
        this.ledger = ledger;
        this.checkpoints = checkpoints;
        this.machine = machine;
        this.params = params;
        this.extraState = extraState;
        this.validator = new UpdateValidator(config.normFactor());
        this.spotChecks = SpotCheckPolicy.withFraction(config.spotCheckFraction());
        this.startupNotes = List.copyOf(startupNotes);
        this.quarantined.addAll(ledger.quarantinedNodes());
        long windowStart = machine.lastRound() - spotChecks.windowRounds();
        ledger.strikesAfter(windowStart).forEach(s -> spotChecks.restoreStrike(s.nodeId(), s.round()));
    }

    /// Opens (or resumes) the run described by `config` in its data dir.
    ///
    /// @param trainWindows  windows in the training split (`Corpus.trainWindows(context)`)
    /// @param initialParams the version-0 parameters, called only when there is no checkpoint yet
    /// @param now           the wall-clock time of the start
    public static RunService open(RunConfig config, long trainWindows, Supplier<float[]> initialParams, Instant now) {
        RunRules rules = config.rules(trainWindows);
        var notes = new ArrayList<String>();
        Ledger ledger = config.storage().postgresLedger()
                ? Ledger.open(config.storage().ledgerUrl(), config.storage().ledgerUser().isEmpty() ? null
                        : config.storage().ledgerUser(), config.storage().ledgerPassword())
                : Ledger.open(config.ledgerFile());
        notes.add("ledger: " + ledger.where() + " (" + ledger.durability() + ")");
        try {
            ledger.bindRun(config.runId(), config.name(), trainWindows, config.recipe().dataSeed(), now);
            var store = new CheckpointStore(config.checkpointDir());
            float[] params;
            Map<String, float[]> extra = Map.of();
            long version;
            Optional<CheckpointStore.Recovery> recovery = store.loadLatest(config.runId());
            if (recovery.isPresent()) {
                Checkpoint cp = recovery.get().checkpoint();
                recovery.get().skipped().forEach(s -> notes.add("skipped " + s));
                params = cp.params();
                extra = cp.arrays();
                version = cp.version();
                notes.add("resumed from checkpoint version " + version);
            } else {
                long committed = ledger.position().lastVersion();
                if (committed > 0) {
                    throw new IllegalStateException("the ledger in " + config.dataDir() + " has " + committed
                            + " committed versions but there is no checkpoint in " + store.dir() + ": restore the"
                            + " checkpoints, or start over with a new data dir or run id");
                }
                params = initialParams.get();
                version = 0;
                // Version 0 on disk: joining nodes download it like any other version.
                store.write(new Checkpoint(config.runId(), 0, 0, params));
                notes.add("new run: wrote the initial checkpoint (version 0)");
            }
            int abandoned = ledger.abandonOpenRounds(now);
            if (abandoned > 0) {
                notes.add(abandoned + " round(s) open at the last stop were abandoned; their batches return to the pool");
            }
            Ledger.Position before = ledger.position();
            if (before.lastVersion() < version) {
                throw new IllegalStateException("checkpoint version " + version + " is newer than the ledger's last commit "
                        + before.lastVersion() + " in " + config.dataDir() + ": the ledger was replaced or restored from an"
                        + " older backup; restore the matching ledger.db");
            }
            int rolledBack = ledger.rollbackAfter(version);
            if (rolledBack > 0) {
                notes.add(rolledBack + " committed round(s) after checkpoint version " + version
                        + " were rolled back and will be trained again");
            }
            Ledger.Position pos = ledger.position();
            BatchPool pool = BatchPool.restore(trainWindows, config.recipe().dataSeed(), ledger.committedBatchesForRestore(trainWindows));
            var machine = new RunStateMachine(rules, pool, pos.lastRound(), version);
            return new RunService(config, ledger, store, machine, params, extra, notes);
        } catch (RuntimeException e) {
            ledger.close();
            throw e;
        }
    }

    // ---- nodes ------------------------------------------------------------------------------------

    /// Whether a node that completed the handshake may join, with the reason if not.
    public record Admission(boolean admitted, String reason) {
    }

    /// A node completed the handshake (its key is verified by the protocol layer).
    public synchronized Admission admit(String nodeId, byte[] publicKey, Instant now) {
        Optional<byte[]> known = ledger.publicKey(nodeId);
        if (known.isPresent() && publicKey != null && !java.util.Arrays.equals(known.get(), publicKey)) {
            return new Admission(false, "node id " + nodeId + " is registered with a different key");
        }
        ledger.nodeSeen(nodeId, publicKey, now);
        if (quarantined.contains(nodeId)) {
            return new Admission(false, "node is quarantined: " + ledger.quarantineReason(nodeId).orElse("no reason recorded"));
        }
        if (machine.phase() == RunPhase.FINISHED) {
            return new Admission(false, "the run is finished");
        }
        return new Admission(true, "welcome");
    }

    /// The node has the current checkpoint and is ready for a round.
    public synchronized void nodeReady(String nodeId, double tokensPerSecond, Instant now) {
        if (!quarantined.contains(nodeId)) {
            machine.nodeReady(nodeId, tokensPerSecond, now);
        }
    }

    /// The node left or paused: its batches of the open round, if it held any and had not uploaded, go back to
    /// the pool.
    ///
    /// @return the open round whose batches it gave back, or empty
    public synchronized java.util.OptionalLong nodeLeft(String nodeId, Instant now) {
        var open = machine.openRound();
        boolean gaveBack = !machine.nodeLeft(nodeId, now).isEmpty();
        return gaveBack && open != null ? java.util.OptionalLong.of(open.round()) : java.util.OptionalLong.empty();
    }

    // ---- rounds -----------------------------------------------------------------------------------

    /// Advances the run and records opened and failed rounds in the ledger before the I/O layer announces them.
    public synchronized List<RunAction> tick(Instant now, long seed) {
        checkNotBroken();
        List<RunAction> actions = machine.tick(now, seed);
        try {
            persist(actions, now);
        } catch (RuntimeException e) {
            broken = "recording round actions failed: " + e.getMessage();
            throw e;
        }
        return actions;
    }

    private void persist(List<RunAction> actions, Instant now) {
        for (RunAction a : actions) {
            switch (a) {
                case RunAction.OpenRound open ->
                        ledger.roundOpened(open.round(), open.baseVersion(), open.opened(), open.deadline());
                case RunAction.RoundFailed failed -> ledger.roundFailed(failed.round(), failed.reason(), now);
                default -> {
                }
            }
        }
    }

    /// An upload arrived: the payload rules ({@link UpdateValidator}) and quarantine, then the state machine's round
    /// rules (which keep who uploaded), then the ledger.
    ///
    /// @param tokens    tokens the node says it trained
    /// @param bytes     the upload's size on the wire
    /// @param update    the decoded update (null when it did not decode), carried to aggregation if accepted
    /// @param localLoss the mean loss the node reports
    /// @return the verdict for the node's `UpdateReceipt`
    public synchronized Verdict upload(UpdateView view, long tokens, long bytes, SparseUpdate update, double localLoss) {
        Verdict quarantine = quarantined.contains(view.nodeId())
                ? Verdict.reject(Verdict.Rule.QUARANTINED, "node " + view.nodeId() + " is quarantined: its updates do not count")
                : Verdict.accept();
        Verdict payload = Verdict.first(Verdict.first(validator.validate(view, config.runId()),
                validator.validateLocalLoss(localLoss)), quarantine);
        Verdict verdict = machine.uploadReceived(new RunStateMachine.Upload(view.nodeId(), view.round(),
                view.baseVersion(), tokens, view.receivedAt(), view.l2Norm(), update, localLoss), payload);
        ledger.recordUpdate(new UpdateRecord(view.round(), view.nodeId(), verdict.accepted(), verdict.reason(), bytes,
                tokens, view.l2Norm(), view.receivedAt()));
        return verdict;
    }

    /// At aggregation: accepted updates whose norm is beyond the bound of the round's median. Drop them
    /// (pass them to {@link #commit} as `dropped`).
    public Map<String, Verdict> normOutliers(RunAction.Aggregate round) {
        Map<String, Double> norms = new LinkedHashMap<>();
        for (RunAction.AcceptedUpload up : round.uploads()) norms.put(up.nodeId(), up.l2Norm());
        return validator.normOutliers(norms);
    }

    /// Records a spot check of a node's update; quarantines the node (in the ledger, at once) when it reaches
    /// the strike limit.
    public synchronized SpotCheckPolicy.Outcome spotCheck(String nodeId, long round, double lossBefore, double lossAfter,
                                                          Instant now) {
        return spotCheck(nodeId, round, lossBefore, lossAfter, Double.NaN, now);
    }

    /// As {@link #spotCheck(String, long, double, double, Instant)} with the loss after the negated update too
    /// (see {@link SpotCheckPolicy#record(String, long, double, double, double)}).
    public synchronized SpotCheckPolicy.Outcome spotCheck(String nodeId, long round, double lossBefore, double lossAfter,
                                                          double lossAfterNegated, Instant now) {
        return spotCheck(nodeId, round, lossBefore, lossAfter, lossAfterNegated, Double.NaN, now);
    }

    /// As {@link #spotCheck(String, long, double, double, double, Instant)} with the relative rule at the round's
    /// median gap (see {@link SpotCheckPolicy#record(String, long, double, double, double, double)}; NaN: not applied).
    public synchronized SpotCheckPolicy.Outcome spotCheck(String nodeId, long round, double lossBefore, double lossAfter,
                                                          double lossAfterNegated, double roundMedianGap, Instant now) {
        SpotCheckPolicy.Outcome outcome = spotChecks.record(nodeId, round, lossBefore, lossAfter, lossAfterNegated,
                roundMedianGap);
        ledger.recordSpotCheck(round, nodeId, lossBefore, lossAfter, outcome.strike(), outcome.reason(), now);
        if (outcome.quarantine() && quarantined.add(nodeId)) {
            ledger.quarantine(nodeId, outcome.reason(), now);
            machine.nodeLeft(nodeId, now);
        }
        return outcome;
    }

    /// Records a strike for an update that broke the model's health (dropped from its round); quarantines the node
    /// (in the ledger, at once) on a repeat ([SpotCheckPolicy#strike]). The ledger keeps it with the spot checks
    /// (no losses, the reason says what), so a restart replays it.
    public synchronized SpotCheckPolicy.Outcome healthStrike(String nodeId, long round, String reason, Instant now) {
        SpotCheckPolicy.Outcome outcome = spotChecks.strike(nodeId, round, reason);
        ledger.recordSpotCheck(round, nodeId, Double.NaN, Double.NaN, true, reason, now);
        if (outcome.quarantine() && quarantined.add(nodeId)) {
            ledger.quarantine(nodeId, outcome.reason(), now);
            machine.nodeLeft(nodeId, now);
        }
        return outcome;
    }

    /// Sets (or, with null, clears) the run's health fault: why the run did not advance, in words, for
    /// /api/status and the dashboard.
    public synchronized void healthFault(String fault) {
        healthFault = fault;
    }

    /// The run's health fault, if any.
    public synchronized Optional<String> healthFault() {
        return Optional.ofNullable(healthFault);
    }

    /// What a commit did: the state machine's record and, when one was due, the new checkpoint's manifest.
    public record Committed(RoundCommit commit, Optional<CheckpointManifest> checkpoint) {
    }

    /// The I/O layer aggregated `round` and applied the outer step: persist it (ledger first, then the
    /// checkpoint if due, so a crash in between is rolled back to the checkpoint on restart).
    ///
    /// @param newParams  the parameters of the new version (kept; not copied)
    /// @param extraState named arrays to checkpoint with them (e.g. aggregator state); may be empty
    /// @param dropped    node → why its accepted update was left out (norm outlier, failed spot check)
    public synchronized Committed commit(long round, float[] newParams, Map<String, float[]> extraState,
                                         RoundStats stats, Map<String, String> dropped, Instant now) {
        if (newParams.length != params.length) {
            throw new IllegalArgumentException("new params have " + newParams.length + " floats, the model has " + params.length);
        }
        checkNotBroken();
        RoundCommit c = machine.committed(round, machine.version() + 1, dropped.keySet(), now);
        try {
            ledger.commitRound(c, stats, dropped);
            params = newParams;
            this.extraState = Map.copyOf(extraState);
            Optional<CheckpointManifest> manifest = Optional.empty();
            if (CheckpointStore.isDue(c.version(), config.checkpointEvery()) || machine.version() >= config.recipe().totalRounds()) {
                manifest = Optional.of(checkpoints.write(new Checkpoint(config.runId(), round, c.version(), params,
                        this.extraState)));
            }
            return new Committed(c, manifest);
        } catch (RuntimeException e) {
            broken = "persisting version " + c.version() + " failed: " + e.getMessage();
            throw e;
        }
    }

    /// Aggregation produced nothing (every update dropped, or an error): the round is retried.
    public synchronized void aggregationFailed(long round, String reason, Instant now) {
        machine.aggregationFailed(round, reason);
        ledger.roundFailed(round, "aggregation failed: " + reason, now);
    }

    private void checkNotBroken() {
        if (broken != null) {
            throw new IllegalStateException("the run stopped because " + broken + "; restart the coordinator to resume"
                    + " from the last checkpoint");
        }
    }

    /// Why the run refuses to continue, if it does.
    public synchronized Optional<String> broken() {
        return Optional.ofNullable(broken);
    }

    public synchronized void pause() {
        machine.pause();
    }

    public synchronized void resume() {
        machine.resume();
    }

    public synchronized void finish(String reason) {
        machine.finish(reason);
    }

    // ---- views ------------------------------------------------------------------------------------

    public synchronized RunPhase phase() {
        return machine.phase();
    }

    public synchronized long version() {
        return machine.version();
    }

    public synchronized int nodesReady() {
        return machine.readyNodes().size();
    }

    /// The current parameters (not a copy: do not modify).
    public synchronized float[] params() {
        return params;
    }

    public synchronized Map<String, float[]> extraState() {
        return extraState;
    }

    public synchronized Set<String> quarantinedNodes() {
        return Set.copyOf(quarantined);
    }

    /// What happened at start (resumed, rolled back, skipped corrupt checkpoints), for the log.
    public List<String> startupNotes() {
        return startupNotes;
    }

    public Ledger ledger() {
        return ledger;
    }

    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    public RunConfig config() {
        return config;
    }

    /// A dashboard source for this run: totals from the ledger, phase and nodes from the live state machine.
    public DashboardSource dashboardSource(Clock clock) {
        return new LedgerDashboardSource(ledger, config.recipe().totalRounds(), () -> phase().name(), this::nodesReady, clock,
                () -> healthFault().orElse(null));
    }

    /// Checks the batch accounting of the live run (see {@link RunStateMachine#checkInvariant()}).
    public synchronized void checkInvariant() {
        machine.checkInvariant();
    }

    /// Expected tokens per second per ready node (what the deadline is computed from).
    public synchronized Map<String, Double> speeds() {
        return new HashMap<>(machine.speeds());
    }

    @Override
    public synchronized void close() {
        ledger.close();
    }
}
