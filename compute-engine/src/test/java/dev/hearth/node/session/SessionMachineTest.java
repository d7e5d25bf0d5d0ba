package dev.hearth.node.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.node.api.NodeState;
import dev.hearth.node.session.SessionMachine.Action;
import dev.hearth.node.session.SessionMachine.ApplyCommit;
import dev.hearth.node.session.SessionMachine.CatchUpFailed;
import dev.hearth.node.session.SessionMachine.CatchUpOffered;
import dev.hearth.node.session.SessionMachine.CaughtUp;
import dev.hearth.node.session.SessionMachine.CommitApplied;
import dev.hearth.node.session.SessionMachine.CommitReceived;
import dev.hearth.node.session.SessionMachine.CommitUnusable;
import dev.hearth.node.session.SessionMachine.DataReady;
import dev.hearth.node.session.SessionMachine.Decided;
import dev.hearth.node.session.SessionMachine.Disconnected;
import dev.hearth.node.session.SessionMachine.DownloadStarted;
import dev.hearth.node.session.SessionMachine.Failed;
import dev.hearth.node.session.SessionMachine.FetchCommits;
import dev.hearth.node.session.SessionMachine.Joined;
import dev.hearth.node.session.SessionMachine.Left;
import dev.hearth.node.session.SessionMachine.Log;
import dev.hearth.node.session.SessionMachine.ModelDownloaded;
import dev.hearth.node.session.SessionMachine.PrepareRound;
import dev.hearth.node.session.SessionMachine.ReceiptReceived;
import dev.hearth.node.session.SessionMachine.Record;
import dev.hearth.node.session.SessionMachine.RequestModel;
import dev.hearth.node.session.SessionMachine.RoundEnded;
import dev.hearth.node.session.SessionMachine.RoundOpened;
import dev.hearth.node.session.SessionMachine.RoundPrepared;
import dev.hearth.node.session.SessionMachine.Show;
import dev.hearth.node.session.SessionMachine.StopTrainer;
import dev.hearth.node.session.SessionMachine.Train;
import dev.hearth.node.session.SessionMachine.TrainerReady;
import dev.hearth.node.session.SessionMachine.TrainingFinished;
import dev.hearth.node.session.SessionMachine.Upload;
import dev.hearth.node.session.SessionMachine.UploadSent;
import dev.hearth.node.session.SessionMachine.Welcomed;
import dev.hearth.node.worker.TrainResult;
import dev.hearth.protocol.wire.CommitCatchUp;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.StoredCommit;
import dev.hearth.protocol.wire.UpdateReceipt;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/// The node's session driven by hand-made events and hand-set time: no network, no worker, no files.
class SessionMachineTest {

    private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");
    /// A round's time to train in these tests; only its order against the events' times matters.
    private static final Duration ROUND_WINDOW = Duration.ofMinutes(2);
    private static final long VERSION = 3;

    private final SessionMachine machine = new SessionMachine();

    /// Joined, welcomed at the run's version, the trainer ready and the policy running: waiting for a round.
    private SessionMachine waitingForRound() {
        machine.on(new Decided(true, "Running — you are away"), T0);
        machine.on(new Joined("local run"), T0);
        machine.on(new Welcomed(VERSION, VERSION), T0);
        machine.on(new TrainerReady(), T0);
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());
        return machine;
    }

    private static RoundStart round(long id, long baseVersion, Instant deadline) {
        return RoundStart.newBuilder().setRound(id).setBaseVersion(baseVersion).addBatchIds(7).addBatchIds(11)
                .setDeadlineUnixMillis(deadline.toEpochMilli()).setLr(0.001).build();
    }

    private static TrainResult result(long round) {
        return new TrainResult(round, new byte[2048], 4.5f, 512, 30_000, 100);
    }

    private static UpdateReceipt receipt(long round, boolean accepted, String reason) {
        return UpdateReceipt.newBuilder().setRound(round).setAccepted(accepted).setReason(reason).setCredits(1).build();
    }

    private static <A extends Action> List<A> only(List<Action> actions, Class<A> kind) {
        return actions.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    private static boolean has(List<Action> actions, Class<? extends Action> kind) {
        return actions.stream().anyMatch(kind::isInstance);
    }

    private static boolean logged(List<Action> actions, String fragment) {
        return only(actions, Log.class).stream().anyMatch(l -> l.message().contains(fragment));
    }

    /// Brings a round from RoundOpened to TRAINING the way RunSession does (PrepareRound answered by RoundPrepared).
    private void startTraining(RoundStart rs, Instant now) {
        List<Action> opened = machine.on(new RoundOpened(rs), now);
        assertEquals(List.of(new PrepareRound(rs)), only(opened, PrepareRound.class));
        List<Action> prepared = machine.on(new RoundPrepared(rs), now);
        assertEquals(List.of(new Train(rs)), only(prepared, Train.class));
    }

    @Test
    void aRoundGoesFromOpenThroughTrainingAndUploadToItsReceipt() {
        waitingForRound();
        RoundStart rs = round(5, VERSION, T0.plus(ROUND_WINDOW));
        startTraining(rs, T0);
        assertEquals(NodeState.TRAINING, machine.view().state());
        assertEquals("Training round 5", machine.view().headline());
        assertSame(rs, machine.trainingRound());
        assertEquals(5, machine.round());

        TrainResult r = result(5);
        List<Action> finished = machine.on(new TrainingFinished(rs, r, null), T0.plusSeconds(30));
        assertEquals(List.of(new RoundEnded(rs, r)), only(finished, RoundEnded.class));
        assertEquals(List.of(new Upload(rs, r)), only(finished, Upload.class));
        assertEquals(NodeState.UPLOADING, machine.view().state());
        assertFalse(machine.training());

        assertTrue(machine.on(new ReceiptReceived(receipt(5, true, "")), T0.plusSeconds(31)).isEmpty(),
                "a receipt before the upload went out is not this node's");
        machine.on(new UploadSent(5), T0.plusSeconds(31));
        List<Action> receipted = machine.on(new ReceiptReceived(receipt(5, true, "")), T0.plusSeconds(32));
        assertEquals(List.of(new Record(receipt(5, true, ""))), only(receipted, Record.class));
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());
        assertTrue(machine.on(new ReceiptReceived(receipt(5, true, "")), T0.plusSeconds(33)).isEmpty(),
                "one round is recorded once");

        RoundCommit commit = RoundCommit.newBuilder().setRound(5).setNewVersion(VERSION + 1).build();
        List<Action> committed = machine.on(new CommitReceived(commit), T0.plusSeconds(40));
        assertEquals(List.of(new ApplyCommit(commit)), committed);
        machine.on(new CommitApplied(VERSION + 1), T0.plusSeconds(40));
        assertEquals(VERSION + 1, machine.version());

        RoundStart next = round(6, VERSION + 1, T0.plusSeconds(40).plus(ROUND_WINDOW));
        startTraining(next, T0.plusSeconds(41));
        assertEquals("Training round 6", machine.view().headline());
    }

    @Test
    void aRejectedUploadIsRecordedWithItsReasonAndTheNodeWaitsForTheNextRound() {
        waitingForRound();
        RoundStart rs = round(5, VERSION, T0.plus(ROUND_WINDOW));
        startTraining(rs, T0);
        machine.on(new TrainingFinished(rs, result(5), null), T0.plusSeconds(30));
        machine.on(new UploadSent(5), T0.plusSeconds(30));

        UpdateReceipt refused = receipt(5, false, "update is for round 5, the open round is 6");
        List<Action> actions = machine.on(new ReceiptReceived(refused), T0.plusSeconds(31));
        assertEquals(List.of(new Record(refused)), only(actions, Record.class));
        assertTrue(logged(actions, "round 5 update rejected: update is for round 5, the open round is 6"));
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());
    }

    @Test
    void aPauseWhileTrainingDropsTheRoundAndStopsTheTrainer() {
        waitingForRound();
        RoundStart rs = round(5, VERSION, T0.plus(ROUND_WINDOW));
        startTraining(rs, T0);

        List<Action> paused = machine.on(new Decided(false, "Paused — you are using the computer"), T0.plusSeconds(10));
        assertTrue(has(paused, StopTrainer.class));
        assertTrue(logged(paused, "stopping round 5"));
        assertEquals(new SessionMachine.View(NodeState.PAUSED, "Paused — you are using the computer",
                "Paused — you are using the computer"), machine.view());
        assertFalse(machine.training());

        List<Action> late = machine.on(new TrainingFinished(rs, result(5), null), T0.plusSeconds(11));
        assertTrue(late.isEmpty(), "the stopped round's late result is not uploaded: " + late);
        assertEquals(NodeState.PAUSED, machine.view().state());
    }

    @Test
    void aRoundThatOpensWhilePausedIsLeftToTheOthersAndNotTrainedOnResume() {
        waitingForRound();
        machine.on(new Decided(false, "Paused by you"), T0);
        RoundStart rs = round(2, VERSION, T0.plus(ROUND_WINDOW));

        List<Action> opened = machine.on(new RoundOpened(rs), T0.plusSeconds(1));
        assertFalse(has(opened, PrepareRound.class));
        assertTrue(logged(opened, "round 2 opened while paused; leaving it to the others"));
        assertNull(machine.pendingRound());

        List<Action> resumed = machine.on(new Decided(true, "Running"), T0.plusSeconds(2));
        assertFalse(has(resumed, PrepareRound.class), "the coordinator gave round 2's batches to the others");
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());

        startTraining(round(3, VERSION, T0.plusSeconds(3).plus(ROUND_WINDOW)), T0.plusSeconds(3));
        assertEquals("Training round 3", machine.view().headline());
    }

    @Test
    void aPendingRoundIsGivenUpByAPauseAndTheNextOneIsTrainedAfterTheResume() {
        machine.on(new Decided(true, "Running"), T0);
        machine.on(new Joined("local run"), T0);
        machine.on(new Welcomed(VERSION, VERSION), T0);
        RoundStart rs = round(5, VERSION, T0.plus(ROUND_WINDOW));
        List<Action> opened = machine.on(new RoundOpened(rs), T0);
        assertFalse(has(opened, PrepareRound.class), "no trainer yet: the round waits");
        assertSame(rs, machine.pendingRound());

        machine.on(new Decided(false, "Paused — a game is using the GPU"), T0.plusSeconds(1));
        assertNull(machine.pendingRound(), "reporting PAUSED gave the round's batches back");
        List<Action> ready = machine.on(new TrainerReady(), T0.plusSeconds(2));
        assertFalse(has(ready, PrepareRound.class));

        List<Action> resumed = machine.on(new Decided(true, "Running"), T0.plusSeconds(3));
        assertFalse(has(resumed, PrepareRound.class));
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());
        startTraining(round(6, VERSION, T0.plusSeconds(4).plus(ROUND_WINDOW)), T0.plusSeconds(4));
    }

    @Test
    void aRoundWaitingForItsDataStartsWhenTheShardsArrive() {
        waitingForRound();
        RoundStart rs = round(5, VERSION, T0.plus(ROUND_WINDOW));
        machine.on(new RoundOpened(rs), T0); // RunSession found shards missing: no RoundPrepared
        List<Action> again = machine.on(new DataReady(), T0.plusSeconds(20));
        assertEquals(List.of(new PrepareRound(rs)), only(again, PrepareRound.class));
    }

    @Test
    void aRoundWhoseDeadlinePassedIsNotStarted() {
        waitingForRound();
        RoundStart stale = round(5, VERSION, T0);
        List<Action> opened = machine.on(new RoundOpened(stale), T0);
        assertFalse(has(opened, PrepareRound.class));
        assertTrue(logged(opened, "round 5 closed before it could start here"));
        assertNull(machine.pendingRound());

        // a round still open when it arrives, but whose data came after its deadline
        RoundStart slow = round(6, VERSION, T0.plusSeconds(10));
        machine.on(new RoundOpened(slow), T0.plusSeconds(1));
        List<Action> late = machine.on(new DataReady(), T0.plusSeconds(10));
        assertFalse(has(late, PrepareRound.class));
        assertTrue(logged(late, "round 6 closed before it could start here"));
    }

    @Test
    void aWaitingRoundWhoseBaseVersionTheRunCommittedPastIsDroppedWithoutAskingForTheModel() {
        waitingForRound();
        RoundStart late = round(2, VERSION, T0.plus(ROUND_WINDOW));
        startTraining(late, T0);
        // round 2 closes without this node (version 4); round 3 opens on version 4 while the trainer is still busy
        RoundCommit second = RoundCommit.newBuilder().setRound(2).setNewVersion(VERSION + 1).build();
        assertEquals(List.of(new ApplyCommit(second)), machine.on(new CommitReceived(second), T0.plusSeconds(60)));
        machine.on(new CommitApplied(VERSION + 1), T0.plusSeconds(60));
        RoundStart third = round(3, VERSION + 1, T0.plusSeconds(60).plus(ROUND_WINDOW));
        assertFalse(has(machine.on(new RoundOpened(third), T0.plusSeconds(61)), PrepareRound.class), "the trainer is busy");
        // the others finish round 3 too (version 5) before this node's trainer is done with round 2
        RoundCommit thirdCommit = RoundCommit.newBuilder().setRound(3).setNewVersion(VERSION + 2).build();
        machine.on(new CommitReceived(thirdCommit), T0.plusSeconds(100));
        machine.on(new CommitApplied(VERSION + 2), T0.plusSeconds(100));

        List<Action> finished = machine.on(new TrainingFinished(late, result(2), null), T0.plusSeconds(110));
        assertTrue(has(finished, Upload.class), "the late update still goes out (the coordinator decides)");
        assertFalse(has(finished, PrepareRound.class), "round 3 is over: " + finished);
        assertFalse(has(finished, RequestModel.class), "no model request for a round that is over: " + finished);
        assertTrue(logged(finished, "round 3 is over (it trains on version 4, the run is at 5)"));
        assertNull(machine.pendingRound());
        assertEquals(VERSION + 2, machine.version(), "the model stays at the run's version");
    }

    @Test
    void aRoundThatOpenedWhileTheTrainerWasBusyStartsWhenTheTrainerIsFree() {
        waitingForRound();
        RoundStart late = round(2, VERSION - 1, T0.plus(ROUND_WINDOW));
        machine.on(new Welcomed(VERSION - 1, VERSION - 1), T0);
        startTraining(late, T0);
        // round 2 closed without this node; its commit and round 3 arrive while the trainer still works on round 2
        RoundCommit c = RoundCommit.newBuilder().setRound(2).setNewVersion(VERSION).build();
        machine.on(new CommitReceived(c), T0.plusSeconds(60));
        machine.on(new CommitApplied(VERSION), T0.plusSeconds(60));
        RoundStart next = round(3, VERSION, T0.plusSeconds(60).plus(ROUND_WINDOW));
        assertFalse(has(machine.on(new RoundOpened(next), T0.plusSeconds(61)), PrepareRound.class), "the trainer is busy");

        List<Action> finished = machine.on(new TrainingFinished(late, result(2), null), T0.plusSeconds(70));
        assertTrue(has(finished, Upload.class), "the late update goes out (the coordinator decides)");
        assertEquals(List.of(new PrepareRound(next)), only(finished, PrepareRound.class));
        machine.on(new RoundPrepared(next), T0.plusSeconds(70));
        assertEquals("Training round 3", machine.view().headline());

        machine.on(new UploadSent(2), T0.plusSeconds(70));
        machine.on(new ReceiptReceived(receipt(2, false, "update is for round 2, the open round is 3")), T0.plusSeconds(71));
        assertEquals(NodeState.TRAINING, machine.view().state(), "the receipt of the late round leaves round 3 training");
    }

    @Test
    void aWelcomeFromACoordinatorRolledBackMakesItsRoundsCurrentAgain() {
        machine.on(new Decided(true, "Running"), T0);
        machine.on(new Joined("local run"), T0);
        machine.on(new TrainerReady(), T0);
        machine.on(new Welcomed(VERSION + 2, VERSION + 2), T0);
        machine.on(new Disconnected("closed by the coordinator", Optional.of(Duration.ofSeconds(1))), T0);
        // restarted from the checkpoint of version 3: the node's newer copy is not the run's, and the run's version
        // drops to 3 with the welcome (else round 4 on version 3 would count as over)
        List<Action> welcomed = machine.on(new Welcomed(VERSION, VERSION + 2), T0.plusSeconds(5));
        assertEquals(List.of(new RequestModel(VERSION + 2)), only(welcomed, RequestModel.class));
        RoundStart rs = round(4, VERSION, T0.plusSeconds(5).plus(ROUND_WINDOW));
        machine.on(new RoundOpened(rs), T0.plusSeconds(6));
        assertSame(rs, machine.pendingRound(), "the round waits for the run's model");
        machine.on(new DownloadStarted(VERSION), T0.plusSeconds(6));
        List<Action> downloaded = machine.on(new ModelDownloaded(VERSION), T0.plusSeconds(8));
        assertEquals(List.of(new PrepareRound(rs)), only(downloaded, PrepareRound.class));
    }

    @Test
    void aRoundFinishedAfterItsDeadlineIsUploadedAnywayAndSaysSo() {
        waitingForRound();
        RoundStart rs = round(5, VERSION, T0.plus(ROUND_WINDOW));
        startTraining(rs, T0);
        List<Action> finished = machine.on(new TrainingFinished(rs, result(5), null), T0.plus(ROUND_WINDOW).plusSeconds(1));
        assertTrue(has(finished, Upload.class), "the coordinator decides");
        assertTrue(logged(finished, "finished after its deadline"));
    }

    @Test
    void aRoundOnANewerVersionAsksForTheModelWithTheVersionHeldThenTrainsOnceItIsHere() {
        waitingForRound();
        RoundStart rs = round(9, VERSION + 2, T0.plus(ROUND_WINDOW));
        List<Action> opened = machine.on(new RoundOpened(rs), T0);
        assertEquals(List.of(new RequestModel(VERSION)), only(opened, RequestModel.class));
        assertEquals(NodeState.DOWNLOADING, machine.view().state());

        // the coordinator answers with the commits since: caught up, the round starts
        CommitCatchUp plan = catchUp(VERSION, VERSION + 2);
        List<Action> offered = machine.on(new CatchUpOffered(plan), T0.plusSeconds(1));
        assertEquals(List.of(new FetchCommits(plan)), only(offered, FetchCommits.class));
        assertEquals(SessionMachine.Sync.CATCH_UP, machine.sync());
        assertSame(plan, machine.catchingUp());
        List<Action> caught = machine.on(new CaughtUp(VERSION + 2), T0.plusSeconds(5));
        assertEquals(List.of(new PrepareRound(rs)), only(caught, PrepareRound.class));
        assertEquals(VERSION + 2, machine.version());
    }

    @Test
    void aCatchUpThatFailsFallsBackToTheCheckpointAndTheRoundStartsAfterTheDownload() {
        waitingForRound();
        RoundStart rs = round(9, VERSION + 2, T0.plus(ROUND_WINDOW));
        machine.on(new RoundOpened(rs), T0);
        machine.on(new CatchUpOffered(catchUp(VERSION, VERSION + 2)), T0);

        List<Action> failed = machine.on(new CatchUpFailed("commit for version 4 from storage is refused", VERSION + 1),
                T0.plusSeconds(1));
        assertEquals(List.of(new RequestModel(-1)), only(failed, RequestModel.class), "the checkpoint, not commits");
        assertTrue(logged(failed, "downloading the checkpoint instead"));
        assertNull(machine.catchingUp());

        assertEquals(List.of(new RequestModel(-1)), only(machine.on(new RoundOpened(rs), T0.plusSeconds(2)),
                RequestModel.class), "until a checkpoint arrives, the node asks for the checkpoint");
        machine.on(new DownloadStarted(VERSION + 2), T0.plusSeconds(2));
        assertEquals(SessionMachine.Sync.CHECKPOINT, machine.sync());
        assertTrue(only(machine.on(new RoundOpened(rs), T0.plusSeconds(3)), RequestModel.class).isEmpty(),
                "no second request while the checkpoint downloads");
        List<Action> done = machine.on(new ModelDownloaded(VERSION + 2), T0.plusSeconds(10));
        assertEquals(List.of(new PrepareRound(rs)), only(done, PrepareRound.class));
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());

        // the checkpoint ended the fallback: the next request offers the version held, for commits again
        List<Action> behind = machine.on(new CommitReceived(RoundCommit.newBuilder().setRound(12)
                .setNewVersion(VERSION + 5).build()), T0.plusSeconds(20));
        assertEquals(List.of(new RequestModel(VERSION + 2)), only(behind, RequestModel.class));
    }

    @Test
    void aCatchUpThatDoesNotFitTheVersionHeldIsRefused() {
        waitingForRound();
        List<Action> actions = machine.on(new CatchUpOffered(catchUp(VERSION - 1, VERSION + 2)), T0);
        assertFalse(has(actions, FetchCommits.class));
        assertEquals(List.of(new RequestModel(-1)), only(actions, RequestModel.class));
        assertTrue(logged(actions, "does not fit version 3"));
    }

    @Test
    void aCommitThatDoesNotVerifyDropsTheModelAndAsksForTheCheckpoint() {
        waitingForRound();
        RoundCommit c = RoundCommit.newBuilder().setRound(5).setNewVersion(VERSION + 1).build();
        machine.on(new CommitReceived(c), T0);
        List<Action> bad = machine.on(new CommitUnusable("model checksum differs from the coordinator's after round 5"), T0);
        assertEquals(List.of(new RequestModel(-1)), only(bad, RequestModel.class));
        assertEquals(-1, machine.version());
    }

    @Test
    void aCommitAheadOfTheModelAsksForIt() {
        waitingForRound();
        RoundCommit ahead = RoundCommit.newBuilder().setRound(8).setNewVersion(VERSION + 3).build();
        List<Action> actions = machine.on(new CommitReceived(ahead), T0);
        assertFalse(has(actions, ApplyCommit.class));
        assertEquals(List.of(new RequestModel(VERSION)), only(actions, RequestModel.class));
        RoundCommit old = RoundCommit.newBuilder().setRound(2).setNewVersion(VERSION).build();
        assertTrue(machine.on(new CommitReceived(old), T0).isEmpty(), "a commit the model already has changes nothing");
    }

    @Test
    void aLiveCommitDuringTheCatchUpIsFetchedAfterIt() {
        waitingForRound();
        machine.on(new CatchUpOffered(catchUp(VERSION, VERSION + 2)), T0);
        RoundCommit live = RoundCommit.newBuilder().setRound(9).setNewVersion(VERSION + 3).build();
        assertTrue(machine.on(new CommitReceived(live), T0.plusSeconds(1)).isEmpty());
        List<Action> caught = machine.on(new CaughtUp(VERSION + 2), T0.plusSeconds(2));
        assertEquals(List.of(new RequestModel(VERSION + 2)), only(caught, RequestModel.class), "the run moved on meanwhile");
    }

    @Test
    void aRoundWithdrawnWhileTrainingIsDroppedAndItsLateResultIsNotUploaded() {
        waitingForRound();
        RoundStart rs = round(9, VERSION, T0.plus(ROUND_WINDOW));
        startTraining(rs, T0);
        // its RoundStart crossed this node's PAUSED heartbeat: the coordinator gave the batches back
        List<Action> withdrawn = machine.on(new SessionMachine.RoundWithdrawn(9), T0.plusSeconds(1));
        assertTrue(has(withdrawn, StopTrainer.class));
        assertTrue(logged(withdrawn, "round 9 withdrawn by the coordinator"));
        assertFalse(machine.training());
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());
        List<Action> late = machine.on(new TrainingFinished(rs, result(9), null), T0.plusSeconds(2));
        assertFalse(has(late, Upload.class), "an upload the coordinator would refuse is not sent");
        startTraining(round(10, VERSION, T0.plus(ROUND_WINDOW)), T0.plusSeconds(3)); // the next round is this node's
    }

    @Test
    void aWithdrawalDropsAWaitingRoundAndIgnoresOtherRounds() {
        waitingForRound();
        RoundStart rs = round(9, VERSION + 1, T0.plus(ROUND_WINDOW)); // waits for the model
        machine.on(new RoundOpened(rs), T0);
        assertSame(rs, machine.pendingRound());
        assertTrue(machine.on(new SessionMachine.RoundWithdrawn(8), T0).isEmpty(), "another round: nothing to do");
        assertSame(rs, machine.pendingRound());
        machine.on(new SessionMachine.RoundWithdrawn(9), T0.plusSeconds(1));
        assertNull(machine.pendingRound());
        assertTrue(only(machine.on(new ModelDownloaded(VERSION + 1), T0.plusSeconds(2)), PrepareRound.class).isEmpty(),
                "the withdrawn round is not started once the model is here");
    }

    private static StoredCommit stored(long version) {
        return StoredCommit.newBuilder().setVersion(version).setBytes(20_000_000).setUrl("https://bucket/c/" + version)
                .setSha256(ByteString.copyFrom(new byte[32])).build();
    }

    @Test
    void aCommitAnnouncedByReferenceIsFetchedThenAppliedAndARoundWaitsMeanwhile() {
        waitingForRound();
        List<Action> announced = machine.on(new SessionMachine.LiveCommitAnnounced(stored(VERSION + 1)), T0);
        assertEquals(List.of(new SessionMachine.FetchLiveCommit(stored(VERSION + 1))),
                only(announced, SessionMachine.FetchLiveCommit.class));
        assertEquals(SessionMachine.Sync.LIVE_COMMIT, machine.sync());

        // a round on the new version opens before the commit is here: no checkpoint request, it waits
        RoundStart rs = round(9, VERSION + 1, T0.plus(ROUND_WINDOW));
        assertTrue(only(machine.on(new RoundOpened(rs), T0.plusSeconds(1)), RequestModel.class).isEmpty());

        RoundCommit c = RoundCommit.newBuilder().setRound(8).setNewVersion(VERSION + 1).build();
        List<Action> fetched = machine.on(new SessionMachine.LiveCommitFetched(c), T0.plusSeconds(2));
        assertEquals(List.of(new ApplyCommit(c)), only(fetched, ApplyCommit.class));
        assertEquals(SessionMachine.Sync.NONE, machine.sync());
        List<Action> applied = machine.on(new CommitApplied(VERSION + 1), T0.plusSeconds(3));
        assertEquals(List.of(new PrepareRound(rs)), only(applied, PrepareRound.class));
    }

    @Test
    void aCommitAnnouncedByReferenceThatCannotBeFetchedFallsBackToTheModel() {
        waitingForRound();
        machine.on(new SessionMachine.LiveCommitAnnounced(stored(VERSION + 1)), T0);
        List<Action> failed = machine.on(new SessionMachine.LiveCommitFailed(
                "commit for version 4 from storage is refused: its bytes do not match its SHA-256"), T0.plusSeconds(1));
        assertEquals(List.of(new RequestModel(VERSION)), only(failed, RequestModel.class));
        assertTrue(logged(failed, "downloading the checkpoint instead"));
        assertEquals(SessionMachine.Sync.NONE, machine.sync());
    }

    @Test
    void aCommitAnnouncedByReferenceIsNotFetchedByANodeThatCannotApplyIt() {
        waitingForRound();
        List<Action> ahead = machine.on(new SessionMachine.LiveCommitAnnounced(stored(VERSION + 3)), T0);
        assertFalse(has(ahead, SessionMachine.FetchLiveCommit.class));
        assertEquals(List.of(new RequestModel(VERSION)), only(ahead, RequestModel.class), "behind: asks for the model");

        SessionMachine catchingUp = new SessionMachine();
        catchingUp.on(new Decided(true, "Running"), T0);
        catchingUp.on(new Joined("local run"), T0);
        catchingUp.on(new Welcomed(VERSION, VERSION), T0);
        catchingUp.on(new CatchUpOffered(catchUp(VERSION, VERSION + 2)), T0);
        assertFalse(has(catchingUp.on(new SessionMachine.LiveCommitAnnounced(stored(VERSION + 3)), T0),
                SessionMachine.FetchLiveCommit.class), "while catching up it is only remembered");
        assertEquals(List.of(new RequestModel(VERSION + 2)),
                only(catchingUp.on(new CaughtUp(VERSION + 2), T0.plusSeconds(1)), RequestModel.class));
    }

    @Test
    void aDisconnectMidRoundDropsTheRoundAndTheNextWelcomeStartsOver() {
        waitingForRound();
        RoundStart rs = round(5, VERSION, T0.plus(ROUND_WINDOW));
        startTraining(rs, T0);

        List<Action> lost = machine.on(new Disconnected("cannot connect to h:1: network error: connection timed out",
                Optional.of(Duration.ofSeconds(4))), T0.plusSeconds(10));
        assertEquals(new SessionMachine.View(NodeState.CONNECTING, "Connecting to the local run",
                "no answer in time; retrying in 4 s"), machine.view());
        assertTrue(has(lost, Show.class));
        assertFalse(machine.training());
        assertTrue(machine.on(new TrainingFinished(rs, result(5), null), T0.plusSeconds(20)).isEmpty(),
                "the dropped round is not uploaded");

        machine.on(new Welcomed(VERSION, VERSION), T0.plusSeconds(30));
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());
        startTraining(round(6, VERSION, T0.plusSeconds(31).plus(ROUND_WINDOW)), T0.plusSeconds(31));
    }

    @Test
    void aDisconnectDuringTheCatchUpDropsIt() {
        waitingForRound();
        machine.on(new CatchUpOffered(catchUp(VERSION, VERSION + 2)), T0);
        machine.on(new Disconnected("closed by the coordinator", Optional.of(Duration.ofSeconds(1))), T0);
        assertNull(machine.catchingUp(), "a fetch that answers later is superseded");
        assertEquals(SessionMachine.Sync.NONE, machine.sync());
    }

    @Test
    void aDisconnectForGoodIsAnError() {
        waitingForRound();
        machine.on(new Disconnected("certificate fingerprint mismatch", Optional.empty()), T0);
        assertEquals(new SessionMachine.View(NodeState.ERROR, "Not contributing", "certificate fingerprint mismatch"),
                machine.view());
        machine.on(new Decided(false, "Paused by you"), T0.plusSeconds(1));
        assertEquals(NodeState.ERROR, machine.view().state(), "a pause does not hide the error");
    }

    @Test
    void aWelcomeBehindTheRunAsksForTheModelAndAWelcomeWithoutAModelAsksForTheCheckpoint() {
        machine.on(new Decided(true, "Running"), T0);
        machine.on(new Joined("local run"), T0);
        assertEquals(new SessionMachine.View(NodeState.CONNECTING, "Connecting to the local run", ""), machine.view());
        assertEquals(List.of(new RequestModel(2)), only(machine.on(new Welcomed(5, 2), T0), RequestModel.class));
        machine.on(new Left(), T0);
        assertFalse(machine.joined());
        assertEquals(List.of(new RequestModel(-1)), only(machine.on(new Welcomed(5, -1), T0), RequestModel.class));
    }

    @Test
    void aPauseBeforeTheWelcomeResumesToConnecting() {
        machine.on(new Joined("local run"), T0);
        machine.on(new Decided(false, "Paused by you"), T0);
        assertEquals(NodeState.PAUSED, machine.view().state());
        machine.on(new Decided(true, "Running"), T0.plusSeconds(1));
        assertEquals(new SessionMachine.View(NodeState.CONNECTING, "Connecting to the local run", ""), machine.view());
        machine.on(new Welcomed(VERSION, VERSION), T0.plusSeconds(2));
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());
    }

    @Test
    void leavingTheRunDropsItsRounds() {
        waitingForRound();
        RoundStart rs = round(5, VERSION, T0.plus(ROUND_WINDOW));
        startTraining(rs, T0);
        machine.on(new Left(), T0.plusSeconds(1));
        assertFalse(machine.training());
        assertFalse(machine.joined());
        assertTrue(machine.on(new RoundOpened(round(6, VERSION, T0.plus(ROUND_WINDOW))), T0.plusSeconds(2)).stream()
                .noneMatch(PrepareRound.class::isInstance), "no round is trained for a run the node left");
        machine.on(new Failed("The run's data is unusable"), T0.plusSeconds(3));
        assertEquals(NodeState.ERROR, machine.view().state());
    }

    @Test
    void aRoundThatFailsInTheTrainerIsDroppedAndTheNodeWaits() {
        waitingForRound();
        RoundStart rs = round(5, VERSION, T0.plus(ROUND_WINDOW));
        startTraining(rs, T0);
        List<Action> failed = machine.on(new TrainingFinished(rs, null, "out of memory"), T0.plusSeconds(5));
        assertEquals(List.of(new RoundEnded(rs, null)), only(failed, RoundEnded.class));
        assertFalse(has(failed, Upload.class));
        assertTrue(logged(failed, "round 5 failed in the trainer: out of memory"));
        assertEquals(NodeState.WAITING_FOR_ROUND, machine.view().state());
    }

    private static CommitCatchUp catchUp(long from, long to) {
        CommitCatchUp.Builder b = CommitCatchUp.newBuilder().setFromVersion(from).setToVersion(to).setCheckpointBytes(1 << 20);
        for (long v = from + 1; v <= to; v++) {
            b.addCommits(StoredCommit.newBuilder().setVersion(v).setBytes(4096).setSha256(ByteString.copyFrom(new byte[32]))
                    .setUrl("https://storage.example/commits/" + v));
        }
        return b.build();
    }
}
