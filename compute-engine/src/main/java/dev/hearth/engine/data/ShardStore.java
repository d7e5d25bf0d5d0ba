package dev.hearth.engine.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/// A node's content-addressed cache of token shards: `<dir>/<sha256 of the tokens>.tok`, each in the
/// [TokenShards] shard format (magic, format version, token count, tokens). A shard enters only through
/// [#put] or [#importFile], both of which check its SHA-256 first, so what is in the store is what the
/// name says; [#open] checks again, since a disk can rot between runs.
///
/// The owner caps the store's size ([#makeRoom]): least recently used shards go first, never one the current
/// round needs. Thread-safe for one writer (the node) and readers (the trainer, possibly in another process).
public final class ShardStore {

    static final String SUFFIX = ".tok";

    private final Path dir;

    public ShardStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    public Path dir() {
        return dir;
    }

    /// Where shard `sha256` lives (whether or not it is there).
    public Path path(String sha256) {
        new DatasetManifest.Shard(sha256, 1); // validates the name: nothing outside the directory
        return dir.resolve(sha256 + SUFFIX);
    }

    /// True when the shard's file is present with the right size (its content is checked on [#open]).
    public boolean has(DatasetManifest.Shard shard) {
        try {
            return Files.size(path(shard.sha256())) == TokenShards.HEADER_BYTES + shard.tokens();
        } catch (IOException e) {
            return false;
        }
    }

    /// Stores a shard's tokens after checking them against the SHA-256 the run's manifest lists.
    ///
    /// @throws CorpusFormatException naming the shard and both hashes when the bytes are not that shard
    public void put(DatasetManifest.Shard shard, byte[] tokens) throws IOException {
        String actual = TokenShards.sha256(tokens, 0, tokens.length);
        if (tokens.length != shard.tokens() || !actual.equals(shard.sha256())) {
            throw new CorpusFormatException("shard " + shard.sha256().substring(0, 16) + "… is refused: its bytes ("
                    + tokens.length + " tokens, SHA-256 " + actual.substring(0, 16) + "…) do not match the run's manifest ("
                    + shard.tokens() + " tokens)");
        }
        ByteBuffer header = ByteBuffer.allocate(TokenShards.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(TokenShards.MAGIC).putInt(TokenShards.FORMAT_VERSION).putLong(tokens.length).flip();
        TokenShards.writeAtomically(path(shard.sha256()), header, ByteBuffer.wrap(tokens));
    }

    /// Brings in a shard file already on this machine (e.g. of the bundled corpus): a hard link when the
    /// file system allows, else a copy; checked like [#put].
    public void importFile(DatasetManifest.Shard shard, Path file) throws IOException {
        Path target = path(shard.sha256());
        open(shard, file); // throws when the file is not that shard
        Path tmp = dir.resolve(shard.sha256() + ".import");
        Files.deleteIfExists(tmp);
        try {
            Files.createLink(tmp, file);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /// Maps a stored shard read-only after checking its header, size and SHA-256.
    ///
    /// @throws NoSuchFileException when it is not here; [CorpusFormatException] when its bytes are wrong
    public MappedByteBuffer open(DatasetManifest.Shard shard) throws IOException {
        return open(shard, path(shard.sha256()));
    }

    static MappedByteBuffer open(DatasetManifest.Shard shard, Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            String what = "shard " + shard.sha256().substring(0, 16) + "… (" + file + ")";
            if (size != TokenShards.HEADER_BYTES + shard.tokens()) {
                throw new CorpusFormatException(what + " holds " + size + " bytes, the manifest says "
                        + (TokenShards.HEADER_BYTES + shard.tokens()) + "; it is fetched again");
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            buf.order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[4];
            buf.get(0, magic);
            if (!Arrays.equals(magic, TokenShards.MAGIC) || buf.getInt(4) != TokenShards.FORMAT_VERSION
                    || buf.getLong(8) != shard.tokens()) {
                throw new CorpusFormatException(what + " has a bad header; it is fetched again");
            }
            byte[] content = new byte[(int) shard.tokens()];
            buf.get(TokenShards.HEADER_BYTES, content);
            if (!TokenShards.sha256(content, 0, content.length).equals(shard.sha256())) {
                throw new CorpusFormatException(what + " does not match its SHA-256 (altered on disk); it is fetched again");
            }
            return buf;
        }
    }

    /// Marks a shard as just used (for the least-recently-used order of [#makeRoom]).
    public void touch(String sha256) {
        try {
            Files.setLastModifiedTime(path(sha256), FileTime.from(Instant.now()));
        } catch (IOException e) {
            // gone meanwhile: nothing to keep warm
        }
    }

    /// Bytes the stored shards take.
    public long bytes() throws IOException {
        long n = 0;
        for (Path p : shardFiles()) {
            try {
                n += Files.size(p);
            } catch (NoSuchFileException e) {
                // evicted meanwhile
            }
        }
        return n;
    }

    /// Deletes least recently used shards, never one in `keep`, until `incomingBytes` more fit under `capBytes`.
    ///
    /// @return whether they fit now
    public boolean makeRoom(long capBytes, long incomingBytes, Set<String> keep) throws IOException {
        List<Path> files = new ArrayList<>(shardFiles());
        files.sort(Comparator.comparing(ShardStore::modified));
        long used = bytes();
        for (Path p : files) {
            if (used + incomingBytes <= capBytes) break;
            String sha = p.getFileName().toString().replace(SUFFIX, "");
            if (keep.contains(sha)) continue;
            long size = Files.size(p);
            Files.deleteIfExists(p); // a trainer that has it mapped keeps reading it (POSIX); on Windows this may fail
            used -= size;
        }
        return used + incomingBytes <= capBytes;
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private List<Path> shardFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            ds.forEach(out::add);
        }
        return out;
    }
}
