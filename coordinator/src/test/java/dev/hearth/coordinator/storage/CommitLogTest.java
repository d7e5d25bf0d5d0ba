package dev.hearth.coordinator.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.wire.RoundCommit;
import dev.hearth.protocol.wire.StoredCommit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The commit index on `local` storage: rebuilt at a start from the files under the data dir, keeping only each
/// version's object of the round the ledger committed it in, and served in chunks to a node catching up.
class CommitLogTest {

    /// 1 MiB: far more than the few commits below, so only the versions limit the plan.
    static final long CHECKPOINT_BYTES = 1 << 20;

    @TempDir
    Path dir;

    private static byte[] commit(long round, long version, int stepBytes) {
        byte[] step = new byte[stepBytes];
        Arrays.fill(step, (byte) version);
        return RoundCommit.newBuilder().setRound(round).setNewVersion(version).setSignStep(ByteString.copyFrom(step))
                .build().toByteArray();
    }

    @Test
    void aRestartedLogOffersTheStoredCommitsOfTheLedgersRoundsAndPassesOverARolledBackOne() {
        CommitLog before = new CommitLog(dir, null);
        before.store(1, commit(1, 1, 1000));
        before.store(2, commit(2, 2, 1000)); // rolled back at a restart: round 2 no longer committed version 2
        before.store(2, commit(4, 2, 1200)); // version 2 committed again, by round 4
        before.store(3, commit(5, 3, 1000));
        before.store(4, commit(6, 4, 1000)); // rolled back too: the restart resumed at version 3
        assertEquals(5, dirFiles(), "the rolled-back objects are still on disk");

        CommitLog after = new CommitLog(dir, null);
        var rebuilt = after.rebuild(3, CHECKPOINT_BYTES, Map.of(1L, 1L, 2L, 4L, 3L, 5L));
        assertEquals(new CommitLog.Rebuilt(3, 1, rebuilt.bytesRead()), rebuilt);
        var plan = after.plan(0, 3, CHECKPOINT_BYTES).orElseThrow();
        assertEquals(3, plan.getCommitsCount());
        StoredCommit two = plan.getCommits(1);
        assertEquals(commit(4, 2, 1200).length, two.getBytes(), "version 2 is round 4's commit, not round 2's");
        assertEquals(before.name(2), after.name(2));
        assertTrue(plan.getCommitsList().stream().allMatch(c -> c.getUrl().isEmpty()),
                "on local storage the node asks the coordinator for the bytes");
        byte[] served = after.chunk(2, 0, (int) two.getBytes());
        assertArrayEquals(commit(4, 2, 1200), served);
        assertArrayEquals(Arrays.copyOfRange(served, 100, 150), after.chunk(2, 100, 50), "a chunk is a range");
        assertEquals(0, after.chunk(4, 0, 100).length, "a version not in the index is not served");
    }

    @Test
    void theRebuildStopsWhereTheCommitsWouldCostAsMuchAsTheCheckpointOrOneIsMissingOrAltered() throws Exception {
        CommitLog before = new CommitLog(dir, null);
        for (long v = 1; v <= 5; v++) before.store(v, commit(v, v, 1000));
        Map<Long, Long> rounds = Map.of(1L, 1L, 2L, 2L, 3L, 3L, 4L, 4L, 5L, 5L);
        int one = commit(1, 1, 1000).length;

        var budget = new CommitLog(dir, null).rebuild(5, 2L * one + 1, rounds);
        assertEquals(2, budget.commits(), "two commits are fewer bytes than the checkpoint, three are not");
        assertEquals(4, budget.fromVersion());
        assertEquals(2L * one, budget.bytesRead(), "what no plan could offer is not read");

        Path three = dir.resolve(before.name(3).orElseThrow());
        byte[] altered = Files.readAllBytes(three);
        altered[altered.length / 2] ^= 1;
        Files.write(three, altered);
        var afterAltered = new CommitLog(dir, null);
        assertEquals(2, afterAltered.rebuild(5, CHECKPOINT_BYTES, rounds).commits(),
                "an object whose bytes are not its name's stops the chain at version 4");
        assertTrue(afterAltered.plan(2, 5, CHECKPOINT_BYTES).isEmpty(), "a node at version 2 gets the checkpoint");
        assertEquals(2, afterAltered.plan(3, 5, CHECKPOINT_BYTES).orElseThrow().getCommitsCount());
    }

    private long dirFiles() {
        try (var files = Files.list(dir.resolve("commits"))) {
            return files.count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
