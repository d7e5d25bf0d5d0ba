package dev.hearth.protocol.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.identity.IdentityFileException;
import dev.hearth.protocol.identity.OwnerOnlyFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorCertificateTest {
    @TempDir
    Path dir;

    @Test
    void createsOwnerOnlyFilesOnFirstStartAndReloadsTheSameFingerprint() throws Exception {
        CoordinatorCertificate first = CoordinatorCertificate.loadOrCreate(dir);
        CoordinatorCertificate second = CoordinatorCertificate.loadOrCreate(dir);
        assertEquals(first.fingerprintHex(), second.fingerprintHex());
        assertEquals(64, first.fingerprintHex().length());
        assertEquals(Fingerprints.sha256Hex(first.certificate().getEncoded()), first.fingerprintHex());
        first.certificate().checkValidity();
        first.certificate().verify(first.certificate().getPublicKey());
        for (String name : new String[] {CoordinatorCertificate.KEY_FILE, CoordinatorCertificate.CERTIFICATE_FILE}) {
            Path file = dir.resolve(name);
            if (OwnerOnlyFiles.isPosix(file)) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), name);
            }
        }
    }

    @Test
    void corruptCertificateFailsNamingTheFile() throws Exception {
        CoordinatorCertificate.loadOrCreate(dir);
        Files.writeString(dir.resolve(CoordinatorCertificate.CERTIFICATE_FILE),
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        IdentityFileException e = assertThrows(IdentityFileException.class,
                () -> CoordinatorCertificate.loadOrCreate(dir));
        assertTrue(e.getMessage().contains(CoordinatorCertificate.CERTIFICATE_FILE), e.getMessage());
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void missingHalfOfThePairFailsInsteadOfSilentlyRotating() throws Exception {
        CoordinatorCertificate.loadOrCreate(dir);
        Files.delete(dir.resolve(CoordinatorCertificate.KEY_FILE));
        IdentityFileException e = assertThrows(IdentityFileException.class,
                () -> CoordinatorCertificate.loadOrCreate(dir));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void keyOfAnotherCertificateIsRefused() throws Exception {
        CoordinatorCertificate.loadOrCreate(dir);
        Path other = dir.resolve("other");
        CoordinatorCertificate.loadOrCreate(other);
        Files.copy(other.resolve(CoordinatorCertificate.KEY_FILE), dir.resolve(CoordinatorCertificate.KEY_FILE),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        IdentityFileException e = assertThrows(IdentityFileException.class,
                () -> CoordinatorCertificate.loadOrCreate(dir));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
    }
}
