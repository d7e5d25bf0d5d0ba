package dev.hearth.protocol;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.identity.NodeIdentity;
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
import dev.hearth.protocol.wire.LeaderboardEntry;
import dev.hearth.protocol.wire.Leave;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.Reject;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.RunConfig;
import dev.hearth.protocol.wire.RunStatus;
import dev.hearth.protocol.wire.RunStatusRequest;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
import dev.hearth.protocol.wire.ValidationPoint;
import dev.hearth.protocol.wire.ValueEncoding;
import dev.hearth.protocol.wire.Welcome;
import java.util.EnumMap;
import java.util.Map;

/// One fully populated envelope per message kind.
public final class SampleMessages {
    private SampleMessages() {
    }

    public static ByteString bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return ByteString.copyFrom(b);
    }

    public static Hello hello(NodeIdentity identity) {
        return Hello.newBuilder().setProtocolVersion(ProtocolLimits.PROTOCOL_VERSION)
                .setNodePublicKey(ByteString.copyFrom(identity.publicKeyBytes()))
                .setClientVersion("0.1.0").setBackend("cpu").setDevice("Test CPU")
                .setVramBytes(8L << 30).setTokensPerSecond(1234.5).build();
    }

    public static RunConfig runConfig() {
        return RunConfig.newBuilder().setModel("nano").setSequencesPerBatch(8).setDemoBeta(0.999)
                .setDemoBlockSize(64).setDemoTopK(4).setValueEncoding(ValueEncoding.SIGN_1BIT).setLrMax(3e-4)
                .setLrMin(3e-5).setWarmupRounds(10).setTotalRounds(1000).setWeightDecay(0.1).setDataSeed(42)
                .setCorpusId("tinystories-v1").setDatasetManifestSha256(bytes(32, 17)).build();
    }

    public static Map<MessageKind, Envelope> all() {
        NodeIdentity identity = NodeIdentity.generate();
        Map<MessageKind, Envelope> m = new EnumMap<>(MessageKind.class);
        m.put(MessageKind.HELLO, Envelope.newBuilder().setHello(hello(identity)).build());
        m.put(MessageKind.CHALLENGE, Envelope.newBuilder().setChallenge(
                Challenge.newBuilder().setNonce(bytes(32, 1))).build());
        m.put(MessageKind.CHALLENGE_RESPONSE, Envelope.newBuilder().setChallengeResponse(
                ChallengeResponse.newBuilder().setSignature(bytes(64, 2))).build());
        m.put(MessageKind.WELCOME, Envelope.newBuilder().setWelcome(Welcome.newBuilder().setRunId("run-1")
                .setNodeId(identity.nodeId()).setConfig(runConfig()).setCurrentVersion(7).setCurrentRound(8))
                .build());
        m.put(MessageKind.REJECT, Envelope.newBuilder().setReject(Reject.newBuilder()
                .setReason("The run is full.").setRetryAfterSeconds(30)).build());
        m.put(MessageKind.CHECKPOINT_MANIFEST_REQUEST, Envelope.newBuilder().setCheckpointManifestRequest(
                CheckpointManifestRequest.getDefaultInstance()).build());
        m.put(MessageKind.CHECKPOINT_MANIFEST, Envelope.newBuilder().setCheckpointManifest(CheckpointManifest
                .newBuilder().setVersion(7).setTotalBytes(3_000_000).setChunkSize(1 << 20)
                .addChunkSha256(bytes(32, 3)).addChunkSha256(bytes(32, 4)).addChunkSha256(bytes(32, 5))
                .setSha256(bytes(32, 6))).build());
        m.put(MessageKind.CHUNK_REQUEST, Envelope.newBuilder().setChunkRequest(
                ChunkRequest.newBuilder().setVersion(7).setIndex(2)).build());
        m.put(MessageKind.CHUNK, Envelope.newBuilder().setChunk(Chunk.newBuilder().setVersion(7).setIndex(2)
                .setData(bytes(ProtocolLimits.MAX_CHUNK_DATA_BYTES, 7))).build());
        m.put(MessageKind.BATCH_REQUEST, Envelope.newBuilder().setBatchRequest(
                BatchRequest.newBuilder().addBatchIds(1).addBatchIds(99)).build());
        m.put(MessageKind.BATCH_DATA, Envelope.newBuilder().setBatchData(BatchData.newBuilder()
                .addBatchIds(1).addBatchIds(99).setTokens(bytes(65_536, 8))).build());
        m.put(MessageKind.ROUND_START, Envelope.newBuilder().setRoundStart(RoundStart.newBuilder().setRound(8)
                .setBaseVersion(7).addBatchIds(1).addBatchIds(99).setDeadlineUnixMillis(1_764_000_000_000L)
                .setLr(2.5e-4)).build());
        m.put(MessageKind.UPDATE_UPLOAD, Envelope.newBuilder().setUpdateUpload(UpdateUpload.newBuilder()
                .setRunId("run-1").setRound(8).setBaseVersion(7).setPayload(bytes(100_000, 9))
                .setSignature(bytes(64, 10)).setTokens(8192).setLocalLoss(3.25).setTrainMillis(42_000)).build());
        m.put(MessageKind.UPDATE_RECEIPT, Envelope.newBuilder().setUpdateReceipt(UpdateReceipt.newBuilder()
                .setRound(8).setAccepted(false).setReason("arrived after the deadline").setCredits(0)).build());
        m.put(MessageKind.ROUND_COMMIT, Envelope.newBuilder().setRoundCommit(RoundCommit.newBuilder().setRound(8)
                .setNewVersion(8).setSignStep(bytes(250_000, 11)).setParamsSha256(bytes(32, 12)).setLr(2.5e-4)
                .setMeanLoss(3.1).setAcceptedUpdates(5).setTokens(40_960)).build());
        m.put(MessageKind.HEARTBEAT, Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder()
                .setUnixMillis(1_764_000_000_000L).setState(NodeState.TRAINING)).build());
        m.put(MessageKind.LEAVE, Envelope.newBuilder().setLeave(Leave.newBuilder()
                .setReason("the owner is playing a game")).build());
        m.put(MessageKind.RUN_STATUS_REQUEST, Envelope.newBuilder().setRunStatusRequest(
                RunStatusRequest.getDefaultInstance()).build());
        m.put(MessageKind.RUN_STATUS, Envelope.newBuilder().setRunStatus(RunStatus.newBuilder().setRunId("run-1")
                .setRound(8).setNodesOnline(5).setTokensTotal(1_000_000).addLossHistory(4.0).addLossHistory(3.5)
                .addValidation(ValidationPoint.newBuilder().setRound(5).setLoss(3.7))
                .addLeaderboard(LeaderboardEntry.newBuilder().setNodeId(identity.nodeId()).setCredits(12.5))
                .setSampleText("Once upon a time")).build());
        m.put(MessageKind.DATASET_MANIFEST_REQUEST, Envelope.newBuilder().setDatasetManifestRequest(
                dev.hearth.protocol.wire.DatasetManifestRequest.getDefaultInstance()).build());
        m.put(MessageKind.DATASET_MANIFEST, Envelope.newBuilder().setDatasetManifest(
                dev.hearth.protocol.wire.DatasetManifest.newBuilder().setManifest(bytes(200_000, 13))).build());
        m.put(MessageKind.SHARD_CHUNK_REQUEST, Envelope.newBuilder().setShardChunkRequest(
                dev.hearth.protocol.wire.ShardChunkRequest.newBuilder().setShardSha256(bytes(32, 14)).setIndex(3)).build());
        m.put(MessageKind.SHARD_CHUNK, Envelope.newBuilder().setShardChunk(dev.hearth.protocol.wire.ShardChunk
                .newBuilder().setShardSha256(bytes(32, 15)).setIndex(3)
                .setData(bytes(ProtocolLimits.MAX_CHUNK_DATA_BYTES, 16))).build());
        var catchUp = dev.hearth.protocol.wire.CommitCatchUp.newBuilder().setFromVersion(3).setToVersion(5)
                .setCheckpointBytes(4_000_000);
        for (int v = 4; v <= 5; v++) {
            catchUp.addCommits(dev.hearth.protocol.wire.StoredCommit.newBuilder().setVersion(v).setBytes(900_000)
                    .setSha256(bytes(32, 16 + v)).setUrl("https://bucket.example/run/commits/" + v + ".commit?X-Amz-Signature=ab"));
        }
        m.put(MessageKind.COMMIT_CATCH_UP, Envelope.newBuilder().setCommitCatchUp(catchUp).build());
        m.put(MessageKind.COMMIT_CHUNK_REQUEST, Envelope.newBuilder().setCommitChunkRequest(dev.hearth.protocol.wire
                .CommitChunkRequest.newBuilder().setVersion(4).setOffset(0).setLength(ProtocolLimits.MAX_CHUNK_DATA_BYTES))
                .build());
        m.put(MessageKind.COMMIT_CHUNK, Envelope.newBuilder().setCommitChunk(dev.hearth.protocol.wire.CommitChunk
                .newBuilder().setVersion(4).setOffset(0).setData(bytes(ProtocolLimits.MAX_CHUNK_DATA_BYTES, 22))).build());
        m.put(MessageKind.LIVE_COMMIT, Envelope.newBuilder().setLiveCommit(dev.hearth.protocol.wire.StoredCommit
                .newBuilder().setVersion(6).setBytes(21_500_000).setSha256(bytes(32, 23))
                .setUrl("https://bucket.example/run/commits/6-0123456789abcdef.commit?X-Amz-Signature=cd")).build());
        m.put(MessageKind.ROUND_WITHDRAWN, Envelope.newBuilder().setRoundWithdrawn(dev.hearth.protocol.wire.RoundWithdrawn
                .newBuilder().setRound(41).setReason("the node paused: its batches went back to the pool")).build());
        return m;
    }
}
