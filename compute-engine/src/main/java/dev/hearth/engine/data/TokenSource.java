package dev.hearth.engine.data;

import java.nio.file.Path;

/// A corpus's token stream as shards: the local cache ([TokenShards]) or a run's dataset resolved against a
/// content-addressed [ShardStore] ([DatasetTokens]).
interface TokenSource {

    /// The corpus id (content hash + token format).
    String id();

    /// Total tokens.
    long tokens();

    /// Copies tokens `[pos, pos + len)` of the stream (across shard boundaries) into `dst`.
    ///
    /// @throws UnresolvedShardException when a shard the range needs is not on this machine or fails its check
    void read(long pos, byte[] dst, int off, int len);

    /// The content address of this stream.
    DatasetManifest manifest();

    /// The file holding shard `index` (the [TokenShards] shard format: 16-byte header, then the tokens).
    Path shardFile(int index);
}
