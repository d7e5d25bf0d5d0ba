package dev.hearth.coordinator.config;

/// Where a run's bulk data and records live beyond the coordinator's process (issue 17).
///
/// @param shardTokens    tokens per published data shard (`data.shard_tokens`); nodes fetch and cache whole shards
/// @param ledgerUrl      `[ledger] url`: a `jdbc:postgresql://` url for a public run's ledger; empty = SQLite in the
///                       data dir (the default, and the local run's)
/// @param ledgerUser     `[ledger] user`: the PostgreSQL role; empty = the url's or the driver's default
/// @param passwordEnv    `[ledger] password_env`: the environment variable holding the role's password (never the
///                       password itself in run.toml); empty = none (trust, `.pgpass`, or the url)
/// @param objects        `[storage] kind = "s3"`: the bucket for checkpoints; null = `local` (the coordinator serves
///                       every byte itself, the default)
public record RunStorage(int shardTokens, String ledgerUrl, String ledgerUser, String passwordEnv,
                         ObjectStorage objects) {

    /// 8 Mi tokens: the token cache's own shard size, so the bundled corpus is published as it is stored (3 shards).
    public static final int DEFAULT_SHARD_TOKENS = 8 << 20;
    /// 4 Ki tokens: smaller shards cost more requests than they save; small test corpora still get several.
    public static final int MIN_SHARD_TOKENS = 4 << 10;
    /// 64 Mi tokens: what a node accepts (`DatasetSync.MAX_SHARD_TOKENS`) and holds in memory while fetching one.
    public static final int MAX_SHARD_TOKENS = 64 << 20;

    /// True when the ledger is on PostgreSQL.
    public boolean postgresLedger() {
        return !ledgerUrl.isEmpty();
    }

    /// The ledger password from [#passwordEnv], or null.
    ///
    /// @throws ConfigException when the variable is named but not set
    public String ledgerPassword() {
        if (passwordEnv.isEmpty()) return null;
        String p = System.getenv(passwordEnv);
        if (p == null) {
            throw new ConfigException("[ledger] password_env names " + passwordEnv + ", which is not set in the"
                    + " coordinator's environment");
        }
        return p;
    }
}
