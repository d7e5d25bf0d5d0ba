package dev.hearth.coordinator.service;

import dev.hearth.protocol.identity.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/// A secret only the coordinator holds: 32 random bytes in an owner-only file of its data dir, created on the first
/// start and read on every later one, never sent to anyone, never logged.
///
/// Everything a cheating node could time its cheating around is drawn from it, not from the run's seed: every node
/// receives the seed (`RunConfig.data_seed`, so that it reproduces the data order), so a sampler seeded with it
/// tells a node in advance in which rounds it is spot-checked. Keyed by this secret (HMAC-SHA-256, one key per
/// purpose and run), the choice is as unpredictable to a node as the secret, and still the same after a restart,
/// so a run replays identically from its data dir.
public final class CoordinatorSecret {

    /// The file in the data dir.
    public static final String FILE_NAME = "coordinator-secret";
    /// 32 bytes: 256 bits, beyond any search; HMAC-SHA-256's key size.
    public static final int SECRET_BYTES = 32;
    private static final String HMAC = "HmacSHA256";
    private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private final byte[] secret;

    private CoordinatorSecret(byte[] secret) {
        this.secret = secret;
    }

    /// Reads the secret from `dataDir`, or creates it there (owner-only) when there is none yet.
    ///
    /// @throws IllegalStateException when the file exists but is not a secret (wrong size) or others can read it
    public static CoordinatorSecret loadOrCreate(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        try {
            if (!Files.exists(file)) {
                byte[] created = new byte[SECRET_BYTES];
                new SecureRandom().nextBytes(created);
                try {
                    OwnerOnlyFiles.writeNew(file, created);
                    return new CoordinatorSecret(created);
                } catch (FileAlreadyExistsException raced) {
                    // another start created it first: read theirs
                }
            }
            Set<PosixFilePermission> perms = OwnerOnlyFiles.permissions(file);
            if (perms != null && perms.stream().anyMatch(GROUP_OR_OTHER::contains)) {
                throw new IllegalStateException(file + " is readable or writable by other users (" + perms + "): a node"
                        + " operator who reads it can predict the spot checks; run `chmod 600 " + file + "`");
            }
            byte[] read = Files.readAllBytes(file);
            if (read.length != SECRET_BYTES) {
                throw new IllegalStateException(file + " holds " + read.length + " bytes, not the " + SECRET_BYTES
                        + " of a coordinator secret: restore it from a backup, or delete it to draw a new one (the"
                        + " spot-check choice then changes from the next round on)");
            }
            return new CoordinatorSecret(read);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the coordinator secret " + file + ": " + e.getMessage(), e);
        }
    }

    /// The spot-check sampler's seed for `runId` ([dev.hearth.coordinator.run.SpotCheckSampler]).
    public long spotCheckSeed(String runId) {
        return derive("spot-check", runId);
    }

    /// 64 bits of HMAC-SHA-256(secret, "hearth-" purpose "-v1" 0x00 runId): independent per purpose and run.
    long derive(String purpose, String runId) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(secret, HMAC));
            byte[] out = mac.doFinal(("hearth-" + purpose + "-v1\0" + runId).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(out).getLong();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is part of every Java runtime", e);
        }
    }

    /// The secret's bytes (tests check that no message carries them).
    byte[] bytes() {
        return secret.clone();
    }

    @Override
    public String toString() {
        return "CoordinatorSecret[not shown]";
    }
}
