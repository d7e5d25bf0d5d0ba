package dev.hearth.node.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.CheckpointManifests;
import dev.hearth.protocol.wire.CheckpointManifest;
import dev.hearth.protocol.wire.Chunk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// The node's checkpoint download: verified chunk by chunk, resumable after a disconnect, hostile manifests refused.
class CheckpointDownloadTest {

    static final int CHUNK = 1024;

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(1).nextBytes(b);
        return b;
    }

    static CheckpointManifest manifest(Path dir, byte[] data) throws IOException {
        Path f = dir.resolve("served.bin");
        Files.write(f, data);
        return CheckpointManifests.build(7, f, CHUNK);
    }

    static Chunk chunk(CheckpointManifest m, byte[] data, int i) {
        int off = i * CHUNK;
        return Chunk.newBuilder().setVersion(m.getVersion()).setIndex(i)
                .setData(ByteString.copyFrom(data, off, Math.min(CHUNK, data.length - off))).build();
    }

    @Test
    void assemblesVerifiedChunksIntoTheWholeCheckpoint(@TempDir Path dir) throws IOException {
        byte[] data = bytes(5 * CHUNK + 100);
        CheckpointManifest m = manifest(dir, data);
        CheckpointDownload d = CheckpointDownload.start(m, dir.resolve("dl"));
        while (!d.complete()) {
            for (int i : d.nextRequests()) d.accept(chunk(m, data, i));
        }
        assertArrayEquals(data, d.finish());
    }

    @Test
    void refusesACorruptChunkAndAsksForItAgain(@TempDir Path dir) throws IOException {
        byte[] data = bytes(3 * CHUNK);
        CheckpointManifest m = manifest(dir, data);
        CheckpointDownload d = CheckpointDownload.start(m, dir.resolve("dl"));
        int[] first = d.nextRequests();
        byte[] bad = data.clone();
        bad[first[0] * CHUNK] ^= 1;
        IOException e = assertThrows(IOException.class, () -> d.accept(chunk(m, bad, first[0])));
        assertTrue(e.getMessage().contains("chunk " + first[0]), e.getMessage());
        assertEquals(first[0], d.nextRequests()[0], "the corrupt chunk is requested again");
    }

    @Test
    void resumesWithTheChunksAlreadyOnDisk(@TempDir Path dir) throws IOException {
        byte[] data = bytes(4 * CHUNK);
        CheckpointManifest m = manifest(dir, data);
        CheckpointDownload first = CheckpointDownload.start(m, dir.resolve("dl"));
        first.accept(chunk(m, data, 0));
        first.accept(chunk(m, data, 1));
        // the connection drops; a new session starts the same download again
        CheckpointDownload resumed = CheckpointDownload.start(m, dir.resolve("dl"));
        assertEquals(0.5, resumed.progress(), 1e-9);
        assertFalse(resumed.complete());
        for (int i : resumed.nextRequests()) resumed.accept(chunk(m, data, i));
        assertArrayEquals(data, resumed.finish());
    }

    @Test
    void refusesAManifestClaimingMoreThanTheLimit(@TempDir Path dir) {
        CheckpointManifest huge = CheckpointManifest.newBuilder().setVersion(1).setChunkSize(CHUNK)
                .setTotalBytes(CheckpointDownload.MAX_CHECKPOINT_BYTES + 1).build();
        IOException e = assertThrows(IOException.class, () -> CheckpointDownload.start(huge, dir));
        assertTrue(e.getMessage().contains("manifest"), e.getMessage());
    }
}
