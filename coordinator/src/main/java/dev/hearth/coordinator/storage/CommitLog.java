package dev.hearth.coordinator.storage;

import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.wire.CommitCatchUp;
import dev.hearth.protocol.wire.StoredCommit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/// Every round's commit in storage (issue 17): the encoded `RoundCommit` of each version is written once, as
/// `commits/<version>-<sha256 prefix>.commit`, to the run's bucket (`[storage] kind = "s3"`) or under the data dir
/// (`local`). A node several versions behind is handed the commits it missed by presigned URL ([#plan]) when their
/// bytes are fewer than the checkpoint's; it applies them as it applies a live commit.
///
/// What is kept in memory is only each object's name, size and SHA-256 (about 100 bytes per version), never the
/// commit bytes. The index starts empty at a coordinator start: a node behind a restart fetches the checkpoint.
/// On local storage the commits are written for the record but not offered (there is no URL to hand out and the
/// coordinator serves every byte itself anyway, so the checkpoint is what a local node fetches).
public final class CommitLog {

    /// 256 commits per catch-up: each [StoredCommit] is a presigned URL of ~0.7 KiB, so 256 stay within the
    /// `CommitCatchUp` frame's cap (256 KiB, [dev.hearth.protocol.ProtocolLimits#MAX_MANIFEST_FRAME_BYTES]); a node
    /// further behind than that is better served by the checkpoint in any case.
    public static final int MAX_CATCH_UP_COMMITS = 256;

    /// What is known of one stored commit.
    private record Entry(String name, long bytes, byte[] sha256) {
    }

    private final Path localDir;
    private final S3ObjectStore objects;
    private final NavigableMap<Long, Entry> stored = new TreeMap<>();

    /// @param localDir where commits go on `local` storage (the data dir's `commits/`)
    /// @param objects  the run's bucket, or null for `local`
    public CommitLog(Path localDir, S3ObjectStore objects) {
        this.localDir = localDir;
        this.objects = objects;
    }

    /// The object name of the commit of `version` whose encoded bytes have `sha256` (a version committed again
    /// after a rollback gets another name, so no node is handed bytes it will refuse).
    public static String objectName(long version, byte[] sha256) {
        return "commits/" + version + "-" + Fingerprints.hex(sha256).substring(0, 16) + ".commit";
    }

    /// Writes the encoded `RoundCommit` of `version` (replacing what was known of that version).
    ///
    /// @throws StorageException or [UncheckedIOException] naming the object when it cannot be written; the version
    ///                          is then not offered
    public synchronized void store(long version, byte[] encodedCommit) {
        stored.tailMap(version, true).clear(); // versions after a rolled-back one are gone with it
        byte[] sha = Fingerprints.sha256(encodedCommit);
        String name = objectName(version, sha);
        if (objects != null) {
            objects.put(name, encodedCommit);
        } else {
            Path file = localDir.resolve(name);
            try {
                Files.createDirectories(file.getParent());
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.write(tmp, encodedCommit);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write commit " + version + " to " + file + ": " + e.getMessage(), e);
            }
        }
        stored.put(version, new Entry(name, encodedCommit.length, sha));
    }

    /// The commits from `haveVersion` + 1 to `currentVersion` by presigned URL, when every one of them is in the
    /// bucket, they are at most [#MAX_CATCH_UP_COMMITS], and together they are fewer bytes than `checkpointBytes`;
    /// otherwise empty (the node is sent the checkpoint).
    public synchronized Optional<CommitCatchUp> plan(long haveVersion, long currentVersion, long checkpointBytes) {
        long missed = currentVersion - haveVersion;
        if (objects == null || missed < 1 || missed > MAX_CATCH_UP_COMMITS) return Optional.empty();
        var plan = CommitCatchUp.newBuilder().setFromVersion(haveVersion).setToVersion(currentVersion)
                .setCheckpointBytes(checkpointBytes);
        long total = 0;
        for (long v = haveVersion + 1; v <= currentVersion; v++) {
            Entry e = stored.get(v);
            if (e == null) return Optional.empty();
            total += e.bytes();
            if (total >= checkpointBytes) return Optional.empty();
            plan.addCommits(StoredCommit.newBuilder().setVersion(v).setBytes(e.bytes())
                    .setSha256(com.google.protobuf.ByteString.copyFrom(e.sha256()))
                    .setUrl(objects.presignGet(e.name()).toString()));
        }
        return Optional.of(plan.build());
    }

    /// The object name stored for `version`, if any (tests alter it in the bucket).
    public synchronized Optional<String> name(long version) {
        return Optional.ofNullable(stored.get(version)).map(Entry::name);
    }
}
