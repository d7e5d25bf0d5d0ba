package dev.hearth.engine.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @TempDir
    Path tmp;

    private static Checkpoint sample() {
        float[] p = new float[1000];
        float[] m = new float[1000];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) Math.sin(i);
            m[i] = i * 1e-3f;
        }
        return new Checkpoint(new Checkpoint.Metadata("nano", 1, "run-7", 42), p, Map.of("demo.momentum", m));
    }

    @Test
    void roundTripsParamsStateAndMetadata() throws IOException {
        Path f = tmp.resolve("ckpt.bin");
        sample().write(f);
        Checkpoint back = Checkpoint.read(f);
        assertEquals(sample(), back);
        assertEquals("run-7", back.metadata().runId());
        assertArrayEquals(sample().state().get("demo.momentum"), back.state().get("demo.momentum"));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }

    @Test
    void rejectsTruncatedFile() throws IOException {
        Path f = tmp.resolve("ckpt.bin");
        sample().write(f);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 100));
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoint.read(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void rejectsFlippedBit() throws IOException {
        Path f = tmp.resolve("ckpt.bin");
        sample().write(f);
        byte[] b = Files.readAllBytes(f);
        b[b.length / 2] ^= 0x10;
        Files.write(f, b);
        var e = assertThrows(CheckpointFormatException.class, () -> Checkpoint.read(f));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
    }

    @Test
    void rejectsForeignFileAndOtherFormatVersion() throws IOException {
        Path f = tmp.resolve("notes.txt");
        Files.writeString(f, "just some text, not a checkpoint at all");
        var foreign = assertThrows(CheckpointFormatException.class, () -> Checkpoint.read(f));
        assertTrue(foreign.getMessage().contains("not a Hearth checkpoint"), foreign.getMessage());
        byte[] b = sample().encode();
        b[8] = 99; // format version field
        var version = assertThrows(CheckpointFormatException.class, () -> Checkpoint.decode(b, "x"));
        assertTrue(version.getMessage().contains("format version 99"), version.getMessage());
    }

    @Test
    void overwriteIsAtomicReplacement() throws IOException {
        Path f = tmp.resolve("ckpt.bin");
        sample().write(f);
        var next = new Checkpoint(new Checkpoint.Metadata("nano", 1, "run-7", 43), new float[] {1, 2}, Map.of());
        next.write(f);
        assertEquals(43, Checkpoint.read(f).metadata().version());
    }

    @Test
    void paramsDigestIsLittleEndianFloat32Sha256() {
        // SHA-256 of the 4 bytes 00 00 80 3F (1.0f little-endian)
        assertEquals(64, ParamsDigest.hex(new float[] {1f}).length());
        byte[] le = {0, 0, (byte) 0x80, 0x3F};
        assertEquals(java.util.HexFormat.of().formatHex(sha(le)), ParamsDigest.hex(new float[] {1f}));
        float[] big = new float[200_000];
        big[150_000] = 1f;
        float[] other = big.clone();
        other[150_000] = Math.nextUp(1f);
        assertNotEquals(ParamsDigest.hex(big), ParamsDigest.hex(other));
    }

    private static byte[] sha(byte[] b) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
