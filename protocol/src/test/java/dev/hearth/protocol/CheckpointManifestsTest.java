package dev.hearth.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.wire.CheckpointManifest;
import dev.hearth.protocol.wire.Chunk;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointManifestsTest {
    private static final int CHUNK = 1000;

    @TempDir
    Path dir;

    private Path checkpoint(int bytes) throws Exception {
        Path file = dir.resolve("ckpt-" + bytes);
        Files.write(file, SampleMessages.bytes(bytes, 1).toByteArray());
        return file;
    }

    @Test
    void manifestChunksTheFileAndChunksReassembleToItsHash() throws Exception {
        Path file = checkpoint(2_500);
        CheckpointManifest manifest = CheckpointManifests.build(7, file, CHUNK);
        assertEquals(2_500, manifest.getTotalBytes());
        assertEquals(3, manifest.getChunkSha256Count());
        assertDoesNotThrow(() -> CheckpointManifests.validate(manifest, 10_000));
        ByteArrayOutputStream reassembled = new ByteArrayOutputStream();
        for (int i = 0; i < manifest.getChunkSha256Count(); i++) {
            Chunk chunk = CheckpointManifests.readChunk(manifest, file, i);
            CheckpointManifests.verifyChunk(manifest, chunk);
            reassembled.writeBytes(chunk.getData().toByteArray());
        }
        assertEquals(500, CheckpointManifests.chunkLength(manifest, 2));
        assertArrayEquals(manifest.getSha256().toByteArray(), Fingerprints.sha256(reassembled.toByteArray()));
        assertArrayEquals(Files.readAllBytes(file), reassembled.toByteArray());
    }

    @Test
    void exactMultipleOfTheChunkSizeHasNoEmptyTail() throws Exception {
        CheckpointManifest manifest = CheckpointManifests.build(1, checkpoint(3_000), CHUNK);
        assertEquals(3, manifest.getChunkSha256Count());
        assertEquals(CHUNK, CheckpointManifests.chunkLength(manifest, 2));
    }

    @Test
    void verifyChunkRejectsCorruptWrongVersionAndWrongLength() throws Exception {
        Path file = checkpoint(2_500);
        CheckpointManifest manifest = CheckpointManifests.build(7, file, CHUNK);
        Chunk good = CheckpointManifests.readChunk(manifest, file, 1);
        byte[] flipped = good.getData().toByteArray();
        flipped[10] ^= 1;
        IllegalArgumentException corrupt = assertThrows(IllegalArgumentException.class,
                () -> CheckpointManifests.verifyChunk(manifest, good.toBuilder().setData(ByteString.copyFrom(flipped))
                        .build()));
        assertTrue(corrupt.getMessage().contains("SHA-256"), corrupt.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> CheckpointManifests.verifyChunk(manifest, good.toBuilder().setVersion(6).build()));
        assertThrows(IllegalArgumentException.class,
                () -> CheckpointManifests.verifyChunk(manifest, good.toBuilder().setData(good.getData().substring(1))
                        .build()));
        assertThrows(IllegalArgumentException.class,
                () -> CheckpointManifests.verifyChunk(manifest, good.toBuilder().setIndex(3).build()));
    }

    @Test
    void validateRefusesInconsistentOrOversizedManifestsBeforeAnythingIsAllocated() throws Exception {
        CheckpointManifest manifest = CheckpointManifests.build(7, checkpoint(2_500), CHUNK);
        assertThrows(IllegalArgumentException.class, () -> CheckpointManifests.validate(manifest, 2_499));
        assertThrows(IllegalArgumentException.class, () -> CheckpointManifests.validate(
                manifest.toBuilder().setTotalBytes(5_000).build(), 10_000), "hash count disagrees with size");
        assertThrows(IllegalArgumentException.class, () -> CheckpointManifests.validate(
                manifest.toBuilder().setChunkSize(0).build(), 10_000));
        assertThrows(IllegalArgumentException.class, () -> CheckpointManifests.validate(
                manifest.toBuilder().setChunkSize(ProtocolLimits.MAX_CHUNK_DATA_BYTES + 1).build(), 10_000));
        assertThrows(IllegalArgumentException.class, () -> CheckpointManifests.validate(
                manifest.toBuilder().setChunkSha256(0, ByteString.copyFrom(new byte[5])).build(), 10_000));
        assertThrows(IllegalArgumentException.class, () -> CheckpointManifests.validate(
                manifest.toBuilder().setTotalBytes(-1).build(), Long.MAX_VALUE), "u64 over 2^63 is refused");
    }
}
