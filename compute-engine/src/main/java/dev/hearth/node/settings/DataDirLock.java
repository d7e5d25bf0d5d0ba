package dev.hearth.node.settings;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/// One node per data dir: an OS file lock on `node.lock`, held while the node runs and released by the
/// OS when the process dies (so a crash never leaves a stale lock). Two nodes on one dir would close each
/// other's history sessions as "crashed" and fight over the identity and checkpoints.
public final class DataDirLock implements AutoCloseable {

    public static final String FILE_NAME = "node.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /// Takes the lock or explains who holds it.
    /// @throws DataDirs.DataDirException when another node (process) holds it, or the file cannot be used
    public static DataDirLock acquire(Path dataDir) throws DataDirs.DataDirException {
        Path file = dataDir.resolve(FILE_NAME);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very JVM
            }
            if (lock == null) {
                String holder = holder(file);
                ch.close();
                throw new DataDirs.DataDirException(dataDir, "another Hearth node is already using it" + holder
                        + "; stop that node first");
            }
            // Record who holds it, for the message another node shows.
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
            DataDirs.restrictToOwner(file);
            return new DataDirLock(ch, lock);
        } catch (IOException e) {
            if (e instanceof DataDirs.DataDirException d) throw d;
            try {
                if (ch != null) ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw new DataDirs.DataDirException(dataDir, "cannot lock " + file + " (" + e.getMessage() + ")");
        }
    }

    private static String holder(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return s.matches("pid \\d+") ? " (" + s + ")" : "";
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the OS releases it with the process anyway
        }
    }
}
