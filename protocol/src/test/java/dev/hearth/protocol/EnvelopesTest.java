package dev.hearth.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hearth.protocol.wire.Envelope;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvelopesTest {
    @Test
    void ofWrapsEachMessageInItsOwnKind() {
        Map<MessageKind, Envelope> s = SampleMessages.all();
        assertEquals(s.get(MessageKind.HELLO), Envelopes.of(s.get(MessageKind.HELLO).getHello()));
        assertEquals(s.get(MessageKind.CHALLENGE), Envelopes.of(s.get(MessageKind.CHALLENGE).getChallenge()));
        assertEquals(s.get(MessageKind.CHALLENGE_RESPONSE), Envelopes.of(s.get(MessageKind.CHALLENGE_RESPONSE).getChallengeResponse()));
        assertEquals(s.get(MessageKind.WELCOME), Envelopes.of(s.get(MessageKind.WELCOME).getWelcome()));
        assertEquals(s.get(MessageKind.REJECT), Envelopes.of(s.get(MessageKind.REJECT).getReject()));
        assertEquals(s.get(MessageKind.CHECKPOINT_MANIFEST_REQUEST), Envelopes.of(s.get(MessageKind.CHECKPOINT_MANIFEST_REQUEST).getCheckpointManifestRequest()));
        assertEquals(s.get(MessageKind.CHECKPOINT_MANIFEST), Envelopes.of(s.get(MessageKind.CHECKPOINT_MANIFEST).getCheckpointManifest()));
        assertEquals(s.get(MessageKind.CHUNK_REQUEST), Envelopes.of(s.get(MessageKind.CHUNK_REQUEST).getChunkRequest()));
        assertEquals(s.get(MessageKind.CHUNK), Envelopes.of(s.get(MessageKind.CHUNK).getChunk()));
        assertEquals(s.get(MessageKind.BATCH_REQUEST), Envelopes.of(s.get(MessageKind.BATCH_REQUEST).getBatchRequest()));
        assertEquals(s.get(MessageKind.BATCH_DATA), Envelopes.of(s.get(MessageKind.BATCH_DATA).getBatchData()));
        assertEquals(s.get(MessageKind.ROUND_START), Envelopes.of(s.get(MessageKind.ROUND_START).getRoundStart()));
        assertEquals(s.get(MessageKind.UPDATE_UPLOAD), Envelopes.of(s.get(MessageKind.UPDATE_UPLOAD).getUpdateUpload()));
        assertEquals(s.get(MessageKind.UPDATE_RECEIPT), Envelopes.of(s.get(MessageKind.UPDATE_RECEIPT).getUpdateReceipt()));
        assertEquals(s.get(MessageKind.ROUND_COMMIT), Envelopes.of(s.get(MessageKind.ROUND_COMMIT).getRoundCommit()));
        assertEquals(s.get(MessageKind.HEARTBEAT), Envelopes.of(s.get(MessageKind.HEARTBEAT).getHeartbeat()));
        assertEquals(s.get(MessageKind.LEAVE), Envelopes.of(s.get(MessageKind.LEAVE).getLeave()));
        assertEquals(s.get(MessageKind.RUN_STATUS_REQUEST), Envelopes.of(s.get(MessageKind.RUN_STATUS_REQUEST).getRunStatusRequest()));
        assertEquals(s.get(MessageKind.RUN_STATUS), Envelopes.of(s.get(MessageKind.RUN_STATUS).getRunStatus()));
        assertEquals(s.get(MessageKind.DATASET_MANIFEST_REQUEST), Envelopes.of(s.get(MessageKind.DATASET_MANIFEST_REQUEST).getDatasetManifestRequest()));
        assertEquals(s.get(MessageKind.DATASET_MANIFEST), Envelopes.of(s.get(MessageKind.DATASET_MANIFEST).getDatasetManifest()));
        assertEquals(s.get(MessageKind.SHARD_CHUNK_REQUEST), Envelopes.of(s.get(MessageKind.SHARD_CHUNK_REQUEST).getShardChunkRequest()));
        assertEquals(s.get(MessageKind.SHARD_CHUNK), Envelopes.of(s.get(MessageKind.SHARD_CHUNK).getShardChunk()));
        assertEquals(s.get(MessageKind.COMMIT_CATCH_UP), Envelopes.of(s.get(MessageKind.COMMIT_CATCH_UP).getCommitCatchUp()));
        assertEquals(s.get(MessageKind.COMMIT_CHUNK_REQUEST), Envelopes.of(s.get(MessageKind.COMMIT_CHUNK_REQUEST).getCommitChunkRequest()));
        assertEquals(s.get(MessageKind.COMMIT_CHUNK), Envelopes.of(s.get(MessageKind.COMMIT_CHUNK).getCommitChunk()));
        assertEquals(s.get(MessageKind.LIVE_COMMIT), Envelopes.liveCommit(s.get(MessageKind.LIVE_COMMIT).getLiveCommit()));
        assertEquals(s.get(MessageKind.ROUND_WITHDRAWN), Envelopes.of(s.get(MessageKind.ROUND_WITHDRAWN).getRoundWithdrawn()));
        assertEquals(MessageKind.values().length, 28);
    }
}
