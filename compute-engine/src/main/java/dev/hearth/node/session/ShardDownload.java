package dev.hearth.node.session;

import dev.hearth.engine.data.DatasetManifest;
import dev.hearth.protocol.CheckpointManifests;
import dev.hearth.protocol.wire.ShardChunk;
import java.io.IOException;
import java.util.BitSet;

/// One shard of the run's data on its way in: 1 MiB chunks at their offsets, at most
/// [CheckpointDownload#REQUEST_WINDOW] requested ahead. The whole shard is checked against its SHA-256 in the
/// run's manifest when it is stored ([dev.hearth.engine.data.ShardStore#put]); chunks that arrived survive a
/// reconnect (only the missing ones are asked for again).
final class ShardDownload {

    /// Bytes per chunk: the checkpoint's chunk size, the largest a frame carries.
    static final int CHUNK_BYTES = CheckpointManifests.DEFAULT_CHUNK_SIZE;

    private final DatasetManifest.Shard shard;
    private final byte[] tokens;
    private final int chunks;
    private final BitSet have;
    private final BitSet requested = new BitSet();

    ShardDownload(DatasetManifest.Shard shard) {
        this.shard = shard;
        this.tokens = new byte[(int) shard.tokens()];
        this.chunks = (int) CheckpointManifests.chunkCount(shard.tokens(), CHUNK_BYTES);
        this.have = new BitSet(chunks);
    }

    DatasetManifest.Shard shard() {
        return shard;
    }

    /// Chunk indexes to request now.
    int[] nextRequests() {
        int outstanding = 0;
        for (int i = requested.nextSetBit(0); i >= 0; i = requested.nextSetBit(i + 1)) {
            if (!have.get(i)) outstanding++;
        }
        int[] out = new int[Math.max(0, CheckpointDownload.REQUEST_WINDOW - outstanding)];
        int n = 0;
        for (int i = 0; i < chunks && n < out.length; i++) {
            if (!have.get(i) && !requested.get(i)) {
                requested.set(i);
                out[n++] = i;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /// Takes a chunk; a chunk of the wrong length or index is refused with the reason.
    void accept(ShardChunk c) throws IOException {
        int index = c.getIndex();
        if (index < 0 || index >= chunks) {
            throw new IOException("shard chunk " + index + " is outside 0.." + (chunks - 1));
        }
        int expected = (int) Math.min(CHUNK_BYTES, shard.tokens() - (long) index * CHUNK_BYTES);
        if (c.getData().size() != expected) {
            requested.clear(index);
            throw new IOException("shard chunk " + index + " has " + c.getData().size() + " bytes, expected " + expected);
        }
        c.getData().copyTo(tokens, index * CHUNK_BYTES);
        have.set(index);
    }

    boolean complete() {
        return have.cardinality() == chunks;
    }

    /// Chunks received / all.
    double progress() {
        return chunks == 0 ? 1 : (double) have.cardinality() / chunks;
    }

    byte[] tokens() {
        return tokens;
    }

    /// After a disconnect: nothing is in flight any more.
    void resetRequests() {
        requested.clear();
    }
}
