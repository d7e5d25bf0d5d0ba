package dev.hearth.node.session;

import dev.hearth.node.api.NodeState;
import dev.hearth.node.worker.TrainResult;
import dev.hearth.protocol.wire.CommitCatchUp;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.StoredCommit;
import dev.hearth.protocol.wire.UpdateReceipt;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/// The node's side of one run as a pure state machine, the node's counterpart of the coordinator's
/// `RunStateMachine`: {@link #on(Event, Instant)} takes what happened (a message, the policy's decision, a worker's
/// result, a download's end) with an explicit `now` and returns the {@link Action}s that [RunSession] performs
/// (messages, files, the worker, the history). No I/O, no threads, no clock in here; tests drive time by hand.
///
/// ```
///  Joined ─► CONNECTING ──Welcomed──► held version = run's? ──no──► DOWNLOADING (checkpoint, or catch-up from commits)
///               ▲                          │ yes                        │ ModelDownloaded / CaughtUp
///               │ Disconnected (backoff)   ▼                            ▼
///               └──── any state ──── WAITING_FOR_ROUND ◄────────────────┘
///                                     │ RoundOpened (running) → PrepareRound (trainer, data) → RoundPrepared
///                                     │   deadline passed or base version committed → dropped (stale);
///                                     │   base version ≠ held → RequestModel, kept pending
///                                     ▼
///                                 TRAINING ──TrainingFinished──► UPLOADING ──ReceiptReceived──► WAITING_FOR_ROUND
///                                     │     (a round that opened meanwhile is tried at once)
///                                     │ Decided(PAUSE)                          (accepted or not: Record)
///                                     ▼
///  PAUSED ◄── Decided(PAUSE) from any state but ERROR: the round is dropped, StopTrainer; a round that opens while
///             paused is left to the others; Decided(RUN) → WAITING_FOR_ROUND (CONNECTING before the welcome)
///  CommitReceived: base = held → ApplyCommit → CommitApplied (next version) | CommitUnusable → RequestModel(none)
///                  behind → RequestModel(held); while catching up → remembered, fetched after CaughtUp
///                  (each, and LiveCommitAnnounced, raises the run's version; a welcome sets it, lower after a rollback)
///  Failed (reject, no retry, bad run) → ERROR; Left → not joined (the next Joined starts over)
/// ```
///
/// The display ([View]) follows the session's own rules: a pause shows PAUSED over a download or an upload in flight,
/// a download's progress shows DOWNLOADING again, and a receipt moves on only from UPLOADING.
/// Not thread-safe: RunSession calls it from the node thread only.
public final class SessionMachine {

    /// What the owner sees: the node's state, the headline the app shows, and the reason under it.
    public record View(NodeState state, String headline, String reason) {
        public View {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(headline, "headline");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /// What the model is being brought up to date with, if anything.
    public enum Sync {
        /// Nothing in flight (a model request may be unanswered: the coordinator's answer starts one).
        NONE,
        /// A checkpoint download (its manifest arrived).
        CHECKPOINT,
        /// Fetching and applying the commits this node missed, from storage.
        CATCH_UP,
        /// Fetching the round's commit, announced by reference because it is larger than a frame (`live_commit`).
        LIVE_COMMIT
    }

    // ---- events -------------------------------------------------------------------------------------------------

    /// Something that happened to the session; each is an immutable record.
    public sealed interface Event {}

    /// The owner (or the app) joined a run called `label`; the connection is being made.
    public record Joined(String label) implements Event {}

    /// The idle policy's decision, every second and whenever it changes.
    public record Decided(boolean running, String reason) implements Event {}

    /// The coordinator welcomed this node; the run's data is being synced and the local copy of the model (if any)
    /// was read: `heldVersion` is its version, -1 for none.
    public record Welcomed(long runVersion, long heldVersion) implements Event {}

    /// The run's dataset manifest is verified and the trainer for this run exists.
    public record TrainerReady() implements Event {}

    /// The run's training data is being downloaded.
    public record DataProgress(double fraction, int shards) implements Event {}

    /// The shards a round needed are here.
    public record DataReady() implements Event {}

    /// The coordinator opened a round with this node's batches in it.
    public record RoundOpened(RoundStart round) implements Event {}

    /// [PrepareRound] found the trainer and the round's data ready: the round can start.
    public record RoundPrepared(RoundStart round) implements Event {}

    /// The coordinator took this node's batches of `round` back (it heard the node pause after assigning them).
    public record RoundWithdrawn(long round) implements Event {}

    /// The trainer finished `round`: a result, or `failure` (then `result` is null).
    public record TrainingFinished(RoundStart round, TrainResult result, String failure) implements Event {}

    /// The update for `round` went out; its receipt is awaited.
    public record UploadSent(long round) implements Event {}

    /// The coordinator's verdict on an update.
    public record ReceiptReceived(UpdateReceipt receipt) implements Event {}

    /// A live round commit.
    public record CommitReceived(RoundCommit commit) implements Event {}

    /// The round's commit announced by reference (too large for a frame): version, size, SHA-256 and where it is.
    public record LiveCommitAnnounced(StoredCommit ref) implements Event {}

    /// The announced commit was fetched and its SHA-256 held.
    public record LiveCommitFetched(RoundCommit commit) implements Event {}

    /// The announced commit could not be fetched or was not the announced bytes.
    public record LiveCommitFailed(String why) implements Event {}

    /// [ApplyCommit] held: the model is at `version` and matches the coordinator's SHA-256.
    public record CommitApplied(long version) implements Event {}

    /// [ApplyCommit] failed (malformed, or the checksum differs): the model in memory is gone.
    public record CommitUnusable(String why) implements Event {}

    /// The coordinator's checkpoint manifest arrived; the download started.
    public record DownloadStarted(long version) implements Event {}

    /// The checkpoint download progressed (`fraction` of its bytes are here and verified).
    public record DownloadProgress(double fraction) implements Event {}

    /// The checkpoint is here, verified and loaded: the model is at `version`.
    public record ModelDownloaded(long version) implements Event {}

    /// The downloaded checkpoint does not decode or fit the run's model.
    public record DownloadFailed(String why) implements Event {}

    /// The coordinator answered a model request with the commits since `haveVersion`.
    public record CatchUpOffered(CommitCatchUp plan) implements Event {}

    /// Every commit of the catch-up was fetched, verified and applied: the model is at `version`.
    public record CaughtUp(long version) implements Event {}

    /// A commit of the catch-up could not be fetched, verified or applied; the model is at `heldVersion` (-1: gone).
    public record CatchUpFailed(String why, long heldVersion) implements Event {}

    /// The connection dropped; `reconnectIn` empty means the client gives up (a rejection).
    public record Disconnected(String reason, Optional<Duration> reconnectIn) implements Event {}

    /// The session cannot work (the coordinator rejected this node, the run's data or config is unusable).
    public record Failed(String why) implements Event {}

    /// The session left its run (switching runs, the data failed, closing).
    public record Left() implements Event {}

    // ---- actions ------------------------------------------------------------------------------------------------

    /// What RunSession is to do; each is an immutable record.
    public sealed interface Action {}

    /// The view changed: report the state to the coordinator and publish a snapshot.
    public record Show(View view) implements Action {}

    public enum Level { DEBUG, INFO, WARN }

    /// A line for the node's log.
    public record Log(Level level, String message) implements Action {}

    /// Ask the coordinator for the model; with `haveVersion` ≥ 0 it may answer with the commits since.
    public record RequestModel(long haveVersion) implements Action {}

    /// Make sure the trainer runs on the current spec and the round's shards are here; answer [RoundPrepared] when
    /// they are (else [DataReady] or [TrainerReady] comes later and the round is tried again).
    public record PrepareRound(RoundStart round) implements Action {}

    /// Hand the round to the trainer (and meter its energy).
    public record Train(RoundStart round) implements Action {}

    /// Stop the trainer: it saves its residual and exits, its memory goes back to the owner.
    public record StopTrainer() implements Action {}

    /// The round is no longer trained (finished, failed): stop metering; `result` (or null) gives the round's figures.
    public record RoundEnded(RoundStart round, TrainResult result) implements Action {}

    /// Sign and send the round's update, within the owner's upload cap; answer [UploadSent] once it went out.
    public record Upload(RoundStart round, TrainResult result) implements Action {}

    /// Record the round's verdict in the history.
    public record Record(UpdateReceipt receipt) implements Action {}

    /// Apply the commit to the model, check its SHA-256, pass it on to the trainer; answer [CommitApplied] or
    /// [CommitUnusable].
    public record ApplyCommit(RoundCommit commit) implements Action {}

    /// Fetch, verify and apply the plan's commits one after another; answer [CaughtUp] or [CatchUpFailed].
    public record FetchCommits(CommitCatchUp plan) implements Action {}

    /// Fetch the round's commit announced by reference, then answer [LiveCommitFetched] or [LiveCommitFailed].
    public record FetchLiveCommit(StoredCommit ref) implements Action {}

    // ---- state --------------------------------------------------------------------------------------------------

    private View view = new View(NodeState.STARTING, "Starting", "");
    private String label = "";
    private boolean running;
    private String pauseReason = "Starting";
    private boolean joined;
    /// The trainer exists; it outlives a run switch (the next round's PrepareRound moves it to the new run's spec).
    private boolean trainerReady;
    /// The version of the model in memory, -1 for none.
    private long version = -1;
    /// The newest version the run is known to be at (its welcome, then its commits); a welcome may lower it (a
    /// coordinator restarted from an older checkpoint).
    private long runVersion = -1;
    private Sync sync = Sync.NONE;
    private CommitCatchUp catchingUp;
    /// The newest version a live commit announced while catching up (that commit was not applied).
    private long liveVersionSeen = -1;
    /// A catch-up from commits failed: the next model request asks for the checkpoint (no have_version).
    private boolean checkpointOnly;
    private RoundStart pendingRound;
    private RoundStart trainingRound;
    private long awaitingReceipt = -1;
    private long round;

    private List<Action> out;

    /// Takes one event at `now` and returns what to do, in order.
    public List<Action> on(Event event, Instant now) {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(now, "now");
        out = new ArrayList<>();
        switch (event) {
            case Joined e -> joined(e);
            case Decided e -> decided(e, now);
            case Welcomed e -> welcomed(e);
            case TrainerReady e -> {
                trainerReady = true;
                tryPending(now);
            }
            case DataProgress e -> {
                if (sync != Sync.CHECKPOINT) {
                    show(NodeState.DOWNLOADING, "Downloading the run's training data (" + (int) Math.round(e.fraction() * 100)
                            + "% of " + e.shards() + (e.shards() == 1 ? " shard)" : " shards)"), "");
                }
            }
            case DataReady e -> {
                if (view.state() == NodeState.DOWNLOADING && sync == Sync.NONE) showIdle();
                tryPending(now);
            }
            case RoundOpened e -> roundOpened(e.round(), now);
            case RoundPrepared e -> roundPrepared(e.round());
            case RoundWithdrawn e -> roundWithdrawn(e.round());
            case TrainingFinished e -> trainingFinished(e, now);
            case UploadSent e -> awaitingReceipt = e.round();
            case ReceiptReceived e -> receipt(e.receipt());
            case CommitReceived e -> commit(e.commit());
            case LiveCommitAnnounced e -> liveCommitAnnounced(e.ref());
            case LiveCommitFetched e -> {
                if (sync != Sync.LIVE_COMMIT) break; // superseded (disconnected, left)
                sync = Sync.NONE;
                commit(e.commit());
            }
            case LiveCommitFailed e -> {
                if (sync != Sync.LIVE_COMMIT) break;
                sync = Sync.NONE;
                log(Level.WARN, e.why() + "; downloading the checkpoint instead");
                requestModel();
            }
            case CommitApplied e -> {
                version = e.version();
                tryPending(now);
            }
            case CommitUnusable e -> {
                log(Level.WARN, e.why() + "; downloading the model");
                version = -1;
                requestModel();
            }
            case DownloadStarted e -> sync = Sync.CHECKPOINT;
            case DownloadProgress e -> show(NodeState.DOWNLOADING,
                    "Downloading the model (" + (int) Math.round(e.fraction() * 100) + "%)", "");
            case ModelDownloaded e -> {
                sync = Sync.NONE;
                version = e.version();
                checkpointOnly = false;
                showIdle();
                tryPending(now);
            }
            case DownloadFailed e -> {
                sync = Sync.NONE;
                log(Level.WARN, e.why());
                requestModel();
            }
            case CatchUpOffered e -> catchUpOffered(e.plan());
            case CaughtUp e -> caughtUp(e.version(), now);
            case CatchUpFailed e -> {
                version = e.heldVersion();
                refuseCatchUp(e.why());
            }
            case Disconnected e -> disconnected(e);
            case Failed e -> show(NodeState.ERROR, "Not contributing", e.why());
            case Left e -> {
                joined = false;
                trainingRound = null;
                pendingRound = null;
                sync = Sync.NONE;
                catchingUp = null;
            }
        }
        List<Action> actions = List.copyOf(out);
        out = null;
        return actions;
    }

    // ---- what RunSession reads ----------------------------------------------------------------------------------

    public View view() {
        return view;
    }

    /// The round being trained, or null.
    public RoundStart trainingRound() {
        return trainingRound;
    }

    /// A round received and not yet started (waiting for the model, the data or the trainer), or null.
    public RoundStart pendingRound() {
        return pendingRound;
    }

    public boolean training() {
        return trainingRound != null;
    }

    /// Welcomed into a run and not left since.
    public boolean joined() {
        return joined;
    }

    /// The policy's latest decision is RUN.
    public boolean running() {
        return running;
    }

    /// The version of the model in memory, -1 for none.
    public long version() {
        return version;
    }

    public Sync sync() {
        return sync;
    }

    /// The catch-up in progress, or null: a fetch that answers for another plan was superseded.
    public CommitCatchUp catchingUp() {
        return catchingUp;
    }

    /// The round the node is in (the newest it heard of), for the snapshot.
    public long round() {
        return round;
    }

    // ---- transitions --------------------------------------------------------------------------------------------

    private void joined(Joined e) {
        label = e.label();
        show(NodeState.CONNECTING, "Connecting to the " + label, "");
    }

    private void decided(Decided e, Instant now) {
        boolean was = running;
        running = e.running();
        pauseReason = e.reason();
        if (!running) {
            if (trainingRound != null) {
                log(Level.INFO, "stopping round " + trainingRound.getRound() + ": " + e.reason());
                trainingRound = null;
            }
            // Reporting PAUSED gives this node's batches back to the coordinator's pool: a round received before the
            // pause is no longer ours to train (an upload for it would come after the round was closed or reassigned).
            pendingRound = null;
            out.add(new StopTrainer());
            if (view.state() != NodeState.ERROR) show(NodeState.PAUSED, e.reason(), e.reason());
        } else if (!was) {
            if (view.state() == NodeState.PAUSED) {
                if (joined) show(NodeState.WAITING_FOR_ROUND, "Waiting for the round to open", "");
                else show(NodeState.CONNECTING, "Connecting to the " + label, "");
            }
            tryPending(now);
        }
    }

    private void welcomed(Welcomed e) {
        joined = true;
        version = e.heldVersion();
        runVersion = e.runVersion();
        if (version != e.runVersion()) {
            requestModel();
        } else {
            showIdle();
        }
    }

    private void roundOpened(RoundStart rs, Instant now) {
        round = rs.getRound();
        if (!running) {
            // Opened before the coordinator heard this node pause: hearing it, the coordinator gives the batches back
            // to its pool, so an upload for this round would be refused. The next round is ours once we run again.
            log(Level.INFO, "round " + rs.getRound() + " opened while paused; leaving it to the others");
            pendingRound = null;
            return;
        }
        pendingRound = rs;
        tryPending(now);
    }

    /// Starts the pending round when everything it needs is here: the policy says run, no round trains, the trainer
    /// exists, the round is still open, the model is at its base version; then the trainer and data are checked.
    private void tryPending(Instant now) {
        RoundStart rs = pendingRound;
        if (rs == null || !running || trainingRound != null || !trainerReady || !joined) return;
        if (now.toEpochMilli() >= rs.getDeadlineUnixMillis()) {
            log(Level.INFO, "round " + rs.getRound() + " closed before it could start here");
            pendingRound = null;
            return;
        }
        if (rs.getBaseVersion() < runVersion) {
            // its commit (or a later one) came while it waited here: an upload would be for a closed round, and
            // asking for the model on its behalf would fetch a version no round trains on
            log(Level.INFO, "round " + rs.getRound() + " is over (it trains on version " + rs.getBaseVersion()
                    + ", the run is at " + runVersion + ")");
            pendingRound = null;
            return;
        }
        if (version != rs.getBaseVersion()) {
            if (sync == Sync.NONE) {
                log(Level.INFO, "round " + rs.getRound() + " needs model version " + rs.getBaseVersion() + "; have " + version);
                requestModel();
            }
            return;
        }
        out.add(new PrepareRound(rs));
    }

    /// The round's RoundStart crossed this node's PAUSED heartbeat: the coordinator gave its batches back, so an
    /// upload would be refused. Dropped whether waiting or training (the trainer stops as for a pause); a round
    /// already uploaded is left to its receipt.
    private void roundWithdrawn(long id) {
        String why = "round " + id + " withdrawn by the coordinator (it heard this node pause after opening it);"
                + " leaving it to the others";
        if (trainingRound != null && trainingRound.getRound() == id) {
            log(Level.INFO, why);
            trainingRound = null;
            out.add(new StopTrainer());
            showIdle();
        } else if (pendingRound != null && pendingRound.getRound() == id) {
            log(Level.INFO, why);
            pendingRound = null;
        }
    }

    private void roundPrepared(RoundStart rs) {
        if (pendingRound != rs || trainingRound != null || !running) return; // moved on meanwhile
        pendingRound = null;
        trainingRound = rs;
        show(NodeState.TRAINING, "Training round " + rs.getRound(), "");
        out.add(new Train(rs));
    }

    private void trainingFinished(TrainingFinished e, Instant now) {
        RoundStart rs = e.round();
        if (trainingRound != rs) return; // paused or superseded meanwhile
        trainingRound = null;
        out.add(new RoundEnded(rs, e.result()));
        if (e.result() == null) {
            log(Level.WARN, "round " + rs.getRound() + " failed in the trainer: " + e.failure());
            showIdle();
        } else {
            if (now.toEpochMilli() > rs.getDeadlineUnixMillis()) {
                log(Level.INFO, "round " + rs.getRound() + " finished after its deadline; uploading anyway (the coordinator decides)");
            }
            show(NodeState.UPLOADING, "Uploading " + RunSession.humanBytes(e.result().payload().length), "");
            out.add(new Upload(rs, e.result()));
        }
        tryPending(now); // a round that opened while the trainer was busy starts now (else only at the next commit)
    }

    private void receipt(UpdateReceipt r) {
        if (awaitingReceipt != r.getRound()) return;
        awaitingReceipt = -1;
        if (!r.getAccepted()) log(Level.WARN, "round " + r.getRound() + " update rejected: " + r.getReason());
        out.add(new Record(r));
        if (view.state() == NodeState.UPLOADING) showIdle();
    }

    private void commit(RoundCommit c) {
        runVersion = Math.max(runVersion, c.getNewVersion());
        if (sync == Sync.CATCH_UP) {
            liveVersionSeen = Math.max(liveVersionSeen, c.getNewVersion()); // applied after the catch-up, or fetched
            return;
        }
        if (version < 0 || version != c.getNewVersion() - 1) {
            if (sync == Sync.NONE && version < c.getNewVersion() && joined) {
                log(Level.INFO, "behind the run (have version " + version + ", run is at " + c.getNewVersion() + ")");
                requestModel();
            }
            return;
        }
        out.add(new ApplyCommit(c));
    }

    /// A commit too large for a frame: fetched only by a node that can apply it (one version behind, not catching
    /// up); any other node reads just its version, as from a [RoundCommit] it could not apply.
    private void liveCommitAnnounced(StoredCommit ref) {
        runVersion = Math.max(runVersion, ref.getVersion()); // the run is there, whether or not this node fetches it
        if (sync == Sync.NONE && version >= 0 && version == ref.getVersion() - 1 && joined) {
            sync = Sync.LIVE_COMMIT;
            out.add(new FetchLiveCommit(ref));
            return;
        }
        commit(RoundCommit.newBuilder().setNewVersion(ref.getVersion()).build());
    }

    private void catchUpOffered(CommitCatchUp plan) {
        if (version < 0 || plan.getFromVersion() != version || plan.getCommitsCount() == 0
                || plan.getCommitsCount() != plan.getToVersion() - plan.getFromVersion()) {
            refuseCatchUp("the coordinator's catch-up from version " + plan.getFromVersion() + " to "
                    + plan.getToVersion() + " with " + plan.getCommitsCount() + " commit(s) does not fit version " + version);
            return;
        }
        sync = Sync.CATCH_UP;
        catchingUp = plan;
        liveVersionSeen = -1;
        show(NodeState.DOWNLOADING, "Catching up with the run (" + plan.getCommitsCount() + " rounds)", "");
        out.add(new FetchCommits(plan));
    }

    private void caughtUp(long caughtUpTo, Instant now) {
        sync = Sync.NONE;
        catchingUp = null;
        version = caughtUpTo;
        if (liveVersionSeen > version) {
            requestModel(); // the run moved on meanwhile: catch up the rest
            return;
        }
        showIdle();
        tryPending(now);
    }

    /// A catch-up from commits failed: say why and fetch the checkpoint instead.
    private void refuseCatchUp(String why) {
        sync = Sync.NONE;
        catchingUp = null;
        checkpointOnly = true;
        log(Level.WARN, why + "; downloading the checkpoint instead");
        requestModel();
    }

    private void disconnected(Disconnected d) {
        trainingRound = null;
        pendingRound = null;
        if (sync == Sync.CATCH_UP || sync == Sync.LIVE_COMMIT) { // asked again after the next welcome (the fetch
            sync = Sync.NONE;                                        // in flight is dropped)
            catchingUp = null;
        }
        if (d.reconnectIn().isEmpty()) {
            show(NodeState.ERROR, "Not contributing", d.reason());
        } else if (running || view.state() != NodeState.PAUSED) {
            // one sentence where the owner looks ("connection refused; retrying in 5 s"); the whole reason is logged
            log(Level.DEBUG, "disconnected: " + d.reason());
            show(NodeState.CONNECTING, "Connecting to the " + label, RunProbe.cause(d.reason()) + "; retrying in "
                    + Math.max(1, d.reconnectIn().get().toSeconds()) + " s");
        }
    }

    /// Asks for the model: with the version held, so that the coordinator may answer with the commits since, unless
    /// a catch-up from commits failed since the last checkpoint download.
    private void requestModel() {
        show(NodeState.DOWNLOADING, "Downloading the model", "");
        out.add(new RequestModel(version >= 0 && !checkpointOnly ? version : -1));
    }

    private void showIdle() {
        if (running) show(NodeState.WAITING_FOR_ROUND, "Waiting for the round to open", "");
        else show(NodeState.PAUSED, pauseReason, "");
    }

    private void show(NodeState state, String headline, String reason) {
        view = new View(state, headline, reason);
        out.add(new Show(view));
    }

    private void log(Level level, String message) {
        out.add(new Log(level, message));
    }
}
