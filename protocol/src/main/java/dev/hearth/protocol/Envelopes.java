package dev.hearth.protocol;

import dev.hearth.protocol.wire.BatchData;
import dev.hearth.protocol.wire.BatchRequest;
import dev.hearth.protocol.wire.Challenge;
import dev.hearth.protocol.wire.ChallengeResponse;
import dev.hearth.protocol.wire.CheckpointManifest;
import dev.hearth.protocol.wire.CheckpointManifestRequest;
import dev.hearth.protocol.wire.Chunk;
import dev.hearth.protocol.wire.ChunkRequest;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.Leave;
import dev.hearth.protocol.wire.Reject;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.RunStatus;
import dev.hearth.protocol.wire.RunStatusRequest;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
import dev.hearth.protocol.wire.Welcome;

/// Wraps a message in its `Envelope`: `peer.send(Envelopes.of(welcome))` instead of
/// `Envelope.newBuilder().setWelcome(welcome).build()`. One overload per message kind.
public final class Envelopes {
    private Envelopes() {
    }

    public static Envelope of(Hello message) {
        return Envelope.newBuilder().setHello(message).build();
    }

    public static Envelope of(Challenge message) {
        return Envelope.newBuilder().setChallenge(message).build();
    }

    public static Envelope of(ChallengeResponse message) {
        return Envelope.newBuilder().setChallengeResponse(message).build();
    }

    public static Envelope of(Welcome message) {
        return Envelope.newBuilder().setWelcome(message).build();
    }

    public static Envelope of(Reject message) {
        return Envelope.newBuilder().setReject(message).build();
    }

    public static Envelope of(CheckpointManifestRequest message) {
        return Envelope.newBuilder().setCheckpointManifestRequest(message).build();
    }

    public static Envelope of(CheckpointManifest message) {
        return Envelope.newBuilder().setCheckpointManifest(message).build();
    }

    public static Envelope of(ChunkRequest message) {
        return Envelope.newBuilder().setChunkRequest(message).build();
    }

    public static Envelope of(Chunk message) {
        return Envelope.newBuilder().setChunk(message).build();
    }

    public static Envelope of(BatchRequest message) {
        return Envelope.newBuilder().setBatchRequest(message).build();
    }

    public static Envelope of(BatchData message) {
        return Envelope.newBuilder().setBatchData(message).build();
    }

    public static Envelope of(RoundStart message) {
        return Envelope.newBuilder().setRoundStart(message).build();
    }

    public static Envelope of(UpdateUpload message) {
        return Envelope.newBuilder().setUpdateUpload(message).build();
    }

    public static Envelope of(UpdateReceipt message) {
        return Envelope.newBuilder().setUpdateReceipt(message).build();
    }

    public static Envelope of(RoundCommit message) {
        return Envelope.newBuilder().setRoundCommit(message).build();
    }

    public static Envelope of(Heartbeat message) {
        return Envelope.newBuilder().setHeartbeat(message).build();
    }

    public static Envelope of(Leave message) {
        return Envelope.newBuilder().setLeave(message).build();
    }

    public static Envelope of(RunStatusRequest message) {
        return Envelope.newBuilder().setRunStatusRequest(message).build();
    }

    public static Envelope of(RunStatus message) {
        return Envelope.newBuilder().setRunStatus(message).build();
    }

    public static Envelope of(dev.hearth.protocol.wire.DatasetManifestRequest message) {
        return Envelope.newBuilder().setDatasetManifestRequest(message).build();
    }

    public static Envelope of(dev.hearth.protocol.wire.DatasetManifest message) {
        return Envelope.newBuilder().setDatasetManifest(message).build();
    }

    public static Envelope of(dev.hearth.protocol.wire.ShardChunkRequest message) {
        return Envelope.newBuilder().setShardChunkRequest(message).build();
    }

    public static Envelope of(dev.hearth.protocol.wire.ShardChunk message) {
        return Envelope.newBuilder().setShardChunk(message).build();
    }

    public static Envelope of(dev.hearth.protocol.wire.CommitCatchUp message) {
        return Envelope.newBuilder().setCommitCatchUp(message).build();
    }

    public static Envelope of(dev.hearth.protocol.wire.CommitChunkRequest message) {
        return Envelope.newBuilder().setCommitChunkRequest(message).build();
    }

    public static Envelope of(dev.hearth.protocol.wire.CommitChunk message) {
        return Envelope.newBuilder().setCommitChunk(message).build();
    }

    public static Envelope of(dev.hearth.protocol.wire.RoundWithdrawn message) {
        return Envelope.newBuilder().setRoundWithdrawn(message).build();
    }

    /// The round's commit announced by reference (`live_commit`, kind 37).
    public static Envelope liveCommit(dev.hearth.protocol.wire.StoredCommit message) {
        return Envelope.newBuilder().setLiveCommit(message).build();
    }
}
