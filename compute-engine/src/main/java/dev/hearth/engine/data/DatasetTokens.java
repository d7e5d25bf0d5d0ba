package dev.hearth.engine.data;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/// A run's token stream resolved against a node's [ShardStore]: each shard is mapped (and its SHA-256 checked)
/// the first time a window reads from it. A window whose shard is missing or altered is not read at all
/// ([UnresolvedShardException]), so nothing but the run's own data is ever trained.
final class DatasetTokens implements TokenSource {

    private final DatasetManifest manifest;
    private final ShardStore store;
    private final long[] starts;
    private final MappedByteBuffer[] mapped;

    DatasetTokens(DatasetManifest manifest, ShardStore store) {
        this.manifest = manifest;
        this.store = store;
        this.starts = manifest.shardStarts();
        this.mapped = new MappedByteBuffer[manifest.shards().size()];
    }

    @Override
    public String id() {
        return manifest.corpusId();
    }

    @Override
    public long tokens() {
        return starts[starts.length - 1];
    }

    @Override
    public DatasetManifest manifest() {
        return manifest;
    }

    @Override
    public Path shardFile(int index) {
        return store.path(manifest.shards().get(index).sha256());
    }

    /// Index of the shard holding token `pos`.
    int shardAt(long pos) {
        return shardAt(starts, pos);
    }

    static int shardAt(long[] starts, long pos) {
        int lo = 0;
        int hi = starts.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= pos) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    @Override
    public void read(long pos, byte[] dst, int off, int len) {
        if (pos < 0 || pos + len > tokens()) {
            throw new IndexOutOfBoundsException("tokens [" + pos + ", " + (pos + len) + ") outside [0, " + tokens() + ")");
        }
        int s = shardAt(pos);
        while (len > 0) {
            int inShard = (int) (pos - starts[s]);
            int n = (int) Math.min(len, starts[s + 1] - pos);
            shard(s).get(TokenShards.HEADER_BYTES + inShard, dst, off, n);
            pos += n;
            off += n;
            len -= n;
            s++;
        }
    }

    private synchronized MappedByteBuffer shard(int s) {
        if (mapped[s] == null) {
            DatasetManifest.Shard shard = manifest.shards().get(s);
            try {
                mapped[s] = store.open(shard);
            } catch (NoSuchFileException e) {
                throw new UnresolvedShardException("shard " + (s + 1) + " of " + mapped.length + " of dataset "
                        + manifest.corpusId() + " (" + shard.sha256().substring(0, 16) + "…) is not on this machine;"
                        + " a batch needing it is not trained");
            } catch (IOException e) {
                throw new UnresolvedShardException(e.getMessage(), e);
            }
        }
        return mapped[s];
    }
}
