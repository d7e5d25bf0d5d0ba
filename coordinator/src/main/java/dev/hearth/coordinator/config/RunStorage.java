package dev.hearth.coordinator.config;

/// Where a run's bulk data and records live beyond the coordinator's process (issue 17): today the shape of the
/// published dataset; the ledger's database and object storage join it.
///
/// @param shardTokens tokens per published data shard (`data.shard_tokens`); nodes fetch and cache whole shards
public record RunStorage(int shardTokens) {

    /// 8 Mi tokens: the token cache's own shard size, so the bundled corpus is published as it is stored (3 shards).
    public static final int DEFAULT_SHARD_TOKENS = 8 << 20;
    /// 4 Ki tokens: smaller shards cost more requests than they save; small test corpora still get several.
    public static final int MIN_SHARD_TOKENS = 4 << 10;
    /// 64 Mi tokens: what a node accepts (`DatasetSync.MAX_SHARD_TOKENS`) and holds in memory while fetching one.
    public static final int MAX_SHARD_TOKENS = 64 << 20;
}
