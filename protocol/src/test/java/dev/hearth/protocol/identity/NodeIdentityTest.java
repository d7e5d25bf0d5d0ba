package dev.hearth.protocol.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.protocol.Fingerprints;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeIdentityTest {
    @TempDir
    Path dir;

    @Test
    void createsOnFirstStartAndLoadsTheSameIdentityAfterwards() throws Exception {
        NodeIdentity first = NodeIdentity.loadOrCreate(dir.resolve("data"));
        NodeIdentity second = NodeIdentity.loadOrCreate(dir.resolve("data"));
        assertEquals(first.nodeId(), second.nodeId());
        assertArrayEquals(first.publicKeyBytes(), second.publicKeyBytes());
        assertEquals(64, first.nodeId().length());
        assertEquals(Fingerprints.sha256Hex(first.publicKeyBytes()), first.nodeId());
        Path file = dir.resolve("data").resolve(NodeIdentity.FILE_NAME);
        if (OwnerOnlyFiles.isPosix(file)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        }
    }

    @Test
    void signaturesVerifyOnlyForTheSignedDataAndKey() {
        NodeIdentity identity = NodeIdentity.generate();
        byte[] data = "round 8".getBytes(StandardCharsets.UTF_8);
        byte[] signature = identity.sign(data);
        assertEquals(64, signature.length);
        assertTrue(NodeIdentity.verify(identity.publicKeyBytes(), data, signature));
        assertFalse(NodeIdentity.verify(identity.publicKeyBytes(), "round 9".getBytes(StandardCharsets.UTF_8),
                signature));
        assertFalse(NodeIdentity.verify(NodeIdentity.generate().publicKeyBytes(), data, signature));
        assertFalse(NodeIdentity.verify(new byte[] {1, 2, 3}, data, signature), "malformed key gives false");
        assertFalse(NodeIdentity.verify(identity.publicKeyBytes(), data, new byte[] {1}), "malformed signature");
    }

    @Test
    void corruptKeyFileFailsNamingTheFileAndWhatToDo() throws Exception {
        Files.writeString(dir.resolve(NodeIdentity.FILE_NAME), "hearth-node-identity v1\nprivate AAAA\npublic BBBB\n");
        IdentityFileException e = assertThrows(IdentityFileException.class, () -> NodeIdentity.loadOrCreate(dir));
        assertTrue(e.getMessage().contains(NodeIdentity.FILE_NAME), e.getMessage());
        assertTrue(e.getMessage().contains("move it away"), e.getMessage());
        assertEquals(dir.resolve(NodeIdentity.FILE_NAME), e.file());
    }

    @Test
    void keyFileWithForeignHeaderIsCorrupt() throws Exception {
        Files.writeString(dir.resolve(NodeIdentity.FILE_NAME), "-----BEGIN PRIVATE KEY-----\n");
        IdentityFileException e = assertThrows(IdentityFileException.class, () -> NodeIdentity.loadOrCreate(dir));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void keyFileWithMismatchedHalvesIsCorrupt() throws Exception {
        NodeIdentity.loadOrCreate(dir);
        Path other = dir.resolve("other");
        NodeIdentity.loadOrCreate(other);
        var mine = Files.readAllLines(dir.resolve(NodeIdentity.FILE_NAME));
        var theirs = Files.readAllLines(other.resolve(NodeIdentity.FILE_NAME));
        Files.write(dir.resolve(NodeIdentity.FILE_NAME), java.util.List.of(mine.get(0), mine.get(1), theirs.get(2)));
        IdentityFileException e = assertThrows(IdentityFileException.class, () -> NodeIdentity.loadOrCreate(dir));
        assertTrue(e.getMessage().contains("do not belong together"), e.getMessage());
    }
}
