package dev.hearth.protocol.identity;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/// Writes secrets so that only the owner can read them: directories 0700 and files 0600 where the file system
/// is POSIX (set at creation, so the file is never briefly world-readable), owner-only flags elsewhere.
public final class OwnerOnlyFiles {
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

    private OwnerOnlyFiles() {
    }

    public static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    public static void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (isPosix(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
        } else {
            Files.createDirectories(dir);
        }
    }

    /// Writes `content` to `target` atomically (temp file + move) with owner-only permissions.
    /// Refuses to overwrite an existing file: a key is never silently replaced.
    public static void writeNew(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        createDirectories(dir);
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        Path temp;
        if (isPosix(dir)) {
            FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(OWNER_FILE);
            temp = Files.createTempFile(dir, ".hearth-", ".tmp", attr);
        } else {
            temp = Files.createTempFile(dir, ".hearth-", ".tmp");
            var file = temp.toFile();
            file.setReadable(false, false);
            file.setWritable(false, false);
            file.setReadable(true, true);
            file.setWritable(true, true);
        }
        try {
            Files.write(temp, content);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /// The POSIX permissions of a file, or `null` where the file system has none.
    public static Set<PosixFilePermission> permissions(Path file) throws IOException {
        return isPosix(file) ? Files.getPosixFilePermissions(file) : null;
    }
}
