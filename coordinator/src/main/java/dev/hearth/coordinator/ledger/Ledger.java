package dev.hearth.coordinator.ledger;

import dev.hearth.coordinator.run.BatchRef;
import dev.hearth.coordinator.run.RoundCommit;
import dev.hearth.coordinator.validation.Credits;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/// The run's durable record in SQLite (the default) or PostgreSQL (a public run, `[ledger] url`): nodes, round
/// attempts, every upload with its verdict, the batch ids trained into each committed version, and credits.
///
/// Durability: SQLite runs a WAL journal with `synchronous=FULL`, PostgreSQL its defaults (`fsync`,
/// `synchronous_commit=on`), so a commit that returned survives a power cut, and each round commit is one
/// transaction (the version, its batches and its credits appear together or not at all). The same schema is
/// migrated by Flyway from `db/coordinator-ledger` (SQLite) or `db/coordinator-ledger-postgresql` (the same
/// versions, spelled for PostgreSQL); every query is written to mean the same on both.
///
/// **Node activity** (a node seen at its handshake, its heartbeats) scales with nodes, not rounds, so it is
/// buffered ([NodeActivity]) and written in one batched transaction every [#NODE_ACTIVITY_FLUSH_INTERVAL] or
/// [#NODE_ACTIVITY_BATCH] nodes, before any query that reads it, and on close. A crash loses at most that
/// interval of last-seen times (a node's first sighting is written again at its next handshake); nothing that
/// decides batches, versions or credits is buffered.
///
/// **Credits** are the tokens of a node's updates that went into committed versions: tokens are what a
/// volunteer's GPU actually trained, comparable across models and hardware. Rejected, dropped and
/// rolled-back updates earn nothing, and a quarantined node earns nothing from its quarantine on.
///
/// Thread-safe (every method is synchronized on the one connection); calls are short, but they do block on
/// fsync, so call them from an executor, not a Netty event loop.
public final class Ledger implements AutoCloseable {

    /// Migrations live here, not in Flyway's default `db/migration`, so they never mix with another
    /// module's migrations on the same classpath (the node's history database).
    public static final String MIGRATIONS = "classpath:db/coordinator-ledger";
    /// 5 s: how long a statement waits for a lock held by another connection (a backup tool, `sqlite3`)
    /// before failing instead of hanging the coordinator.
    public static final int BUSY_TIMEOUT_MILLIS = 5_000;
    /// PostgreSQL migrations: the same versions as [#MIGRATIONS], PostgreSQL types.
    public static final String POSTGRESQL_MIGRATIONS = "classpath:db/coordinator-ledger-postgresql";
    /// 2 connections: the ledger serialises its calls, so one is in use at a time; the second is ready when the
    /// first was lost (a PostgreSQL restart or a network cut), so the next call does not wait for a connect.
    static final int POOL_SIZE = 2;
    /// 10 s: how long a call waits for a PostgreSQL connection before it fails naming the server.
    static final long CONNECT_TIMEOUT_MILLIS = 10_000;
    /// 2 s: the longest a node's last-seen time waits in memory before it is written.
    public static final java.time.Duration NODE_ACTIVITY_FLUSH_INTERVAL = java.time.Duration.ofSeconds(2);
    /// 500 nodes: a batch this large is written at once (one transaction, one JDBC batch).
    public static final int NODE_ACTIVITY_BATCH = 500;

    private final Path file;
    private final String where;
    private final javax.sql.DataSource source;
    private final AutoCloseable pool;
    private final boolean postgres;
    private final NodeActivity activity = new NodeActivity();
    private Connection held;
    private boolean closed;

    private Ledger(Path file, String where, javax.sql.DataSource source, AutoCloseable pool, boolean postgres)
            throws SQLException {
        this.file = file;
        this.where = where;
        this.source = source;
        this.pool = pool;
        this.postgres = postgres;
        this.held = source.getConnection();
    }

    /// The connection for this call: the one held, or a fresh one from the pool after the held one was lost.
    private Connection db() throws SQLException {
        if (closed) {
            throw new SQLException("the ledger is closed");
        }
        if (held == null || held.isClosed()) {
            held = source.getConnection();
        }
        return held;
    }

    /// Opens (creating if needed) and migrates the ledger at `file`.
    public static Ledger open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (java.io.IOException e) {
            throw new LedgerException("cannot create the directory of ledger " + file + ": " + e.getMessage(), e);
        }
        var config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.enforceForeignKeys(true);
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        var source = new SQLiteDataSource(config);
        source.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
        try {
            Flyway.configure(Ledger.class.getClassLoader())
                    .dataSource(source)
                    .locations(MIGRATIONS)
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            throw new LedgerException("cannot migrate ledger " + file + ": " + e.getMessage()
                    + " (is it a Hearth coordinator ledger, and not opened by a newer version?)", e);
        }
        try {
            return new Ledger(file, file.toString(), source, null, false);
        } catch (SQLException e) {
            throw new LedgerException("cannot open ledger " + file + ": " + e.getMessage(), e);
        }
    }

    /// Opens and migrates a ledger on PostgreSQL (`jdbc:postgresql://host:port/database`), pooled by HikariCP.
    ///
    /// @param password the password, or null (trust, peer or a `.pgpass` file)
    /// @throws LedgerException naming the server when it cannot be reached, refuses the login or holds another schema
    public static Ledger open(String jdbcUrl, String user, String password) {
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new LedgerException("ledger url must start with jdbc:postgresql: (SQLite ledgers are a file in the"
                    + " data dir), got " + jdbcUrl);
        }
        var config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        if (user != null) config.setUsername(user);
        if (password != null) config.setPassword(password);
        config.setMaximumPoolSize(POOL_SIZE);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(CONNECT_TIMEOUT_MILLIS);
        config.setInitializationFailTimeout(CONNECT_TIMEOUT_MILLIS);
        config.setPoolName("hearth-ledger");
        com.zaxxer.hikari.HikariDataSource pool;
        try {
            pool = new com.zaxxer.hikari.HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new LedgerException("cannot connect to the ledger database " + jdbcUrl + ": " + rootMessage(e), e);
        }
        try {
            Flyway.configure(Ledger.class.getClassLoader())
                    .dataSource(pool)
                    .locations(POSTGRESQL_MIGRATIONS)
                    .load()
                    .migrate();
            return new Ledger(null, jdbcUrl, pool, pool, true);
        } catch (FlywayException | SQLException e) {
            pool.close();
            throw new LedgerException("cannot migrate the ledger database " + jdbcUrl + ": " + e.getMessage()
                    + " (is it a Hearth coordinator ledger, and not opened by a newer version?)", e);
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /// The SQLite file, or null on PostgreSQL.
    public Path file() {
        return file;
    }

    /// Where the ledger lives, for messages: the file, or the JDBC url.
    public String where() {
        return where;
    }

    /// True on PostgreSQL.
    public boolean postgres() {
        return postgres;
    }

    // ---- run --------------------------------------------------------------------------------------

    /// Ties the ledger to a run on first use; afterwards checks that it belongs to this run.
    ///
    /// @throws LedgerException naming both runs if the file belongs to another run or another corpus
    public synchronized void bindRun(String runId, String name, long trainWindows, long seed, Instant now) {
        try (var q = db().prepareStatement("SELECT run_id, train_windows, seed FROM run_info WHERE id = 1")) {
            try (ResultSet rs = q.executeQuery()) {
                if (rs.next()) {
                    String existing = rs.getString(1);
                    if (!existing.equals(runId)) {
                        throw new LedgerException("ledger " + where + " belongs to run '" + existing + "', not '" + runId
                                + "': use another data dir or the run id in the ledger");
                    }
                    if (rs.getLong(2) != trainWindows || rs.getLong(3) != seed) {
                        throw new LedgerException("ledger " + where + " was written for " + rs.getLong(2)
                                + " training windows and seed " + rs.getLong(3) + ", the run now has " + trainWindows
                                + " and " + seed + ": the corpus or seed changed mid-run, which would break batch accounting");
                    }
                    return;
                }
            }
            try (var ins = db().prepareStatement("INSERT INTO run_info (id, run_id, name, train_windows, seed, created_ms)"
                    + " VALUES (1, ?, ?, ?, ?, ?)")) {
                ins.setString(1, runId);
                ins.setString(2, name);
                ins.setLong(3, trainWindows);
                ins.setLong(4, seed);
                ins.setLong(5, now.toEpochMilli());
                ins.executeUpdate();
            }
        } catch (SQLException e) {
            throw fail("bind the run", e);
        }
    }

    /// Where a restarted coordinator resumes.
    ///
    /// @param lastRound   highest round id ever opened (new rounds get higher ids, so stale uploads never match)
    /// @param lastVersion highest committed version (0: nothing committed)
    public record Position(long lastRound, long lastVersion) {
    }

    public synchronized Position position() {
        try (var q = db().prepareStatement("SELECT COALESCE(MAX(round), 0), "
                + "COALESCE((SELECT MAX(version) FROM rounds WHERE status = 'COMMITTED'), 0) FROM rounds");
             ResultSet rs = q.executeQuery()) {
            rs.next();
            return new Position(rs.getLong(1), rs.getLong(2));
        } catch (SQLException e) {
            throw fail("read the position", e);
        }
    }

    /// At restart: rounds still OPEN were cut off by the crash; they become ABANDONED (their batches were
    /// never committed, so the restored pool hands them out again).
    ///
    /// @return how many rounds were abandoned
    public synchronized int abandonOpenRounds(Instant now) {
        try (var u = db().prepareStatement("UPDATE rounds SET status = 'ABANDONED', closed_ms = ?, "
                + "reason = 'coordinator restarted while the round was open' WHERE status = 'OPEN'")) {
            u.setLong(1, now.toEpochMilli());
            return u.executeUpdate();
        } catch (SQLException e) {
            throw fail("abandon open rounds", e);
        }
    }

    /// At restart, when the last checkpoint is older than the last committed version: the versions after
    /// it are gone from the model, so their rounds become ROLLED_BACK, their batches uncommitted (trained
    /// again) and their credits removed.
    ///
    /// @return how many rounds were rolled back
    public synchronized int rollbackAfter(long version) {
        return inTransaction("roll back after version " + version, () -> {
            var rounds = new ArrayList<long[]>();
            try (var q = db().prepareStatement("SELECT round, version FROM rounds WHERE status = 'COMMITTED' AND version > ?")) {
                q.setLong(1, version);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        rounds.add(new long[] {rs.getLong(1), rs.getLong(2)});
                    }
                }
            }
            for (long[] r : rounds) {
                exec("DELETE FROM committed_batches WHERE round = ?", r[0]);
                exec("DELETE FROM credits WHERE round = ?", r[0]);
                exec("UPDATE updates SET credits = 0 WHERE round = ?", r[0]);
                try (var u = db().prepareStatement("UPDATE rounds SET status = 'ROLLED_BACK', version = NULL, reason = ? "
                        + "WHERE round = ?")) {
                    u.setString(1, "rolled back: version " + r[1] + " was committed after the last checkpoint (version "
                            + version + ")");
                    u.setLong(2, r[0]);
                    u.executeUpdate();
                }
            }
            return rounds.size();
        });
    }

    /// Committed ids per epoch for {@link dev.hearth.coordinator.run.BatchPool#restore}: the last epoch and any
    /// earlier one that is not complete.
    public synchronized Map<Integer, BitSet> committedBatchesForRestore(long trainWindows) {
        var result = new TreeMap<Integer, BitSet>();
        try {
            var counts = new TreeMap<Integer, Long>();
            try (var q = db().prepareStatement("SELECT epoch, COUNT(*) FROM committed_batches GROUP BY epoch");
                 ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    counts.put(rs.getInt(1), rs.getLong(2));
                }
            }
            if (counts.isEmpty()) {
                return result;
            }
            int last = counts.lastKey();
            for (var e : counts.entrySet()) {
                if (e.getKey() != last && e.getValue() == trainWindows) {
                    continue;
                }
                var ids = new BitSet();
                try (var q = db().prepareStatement("SELECT batch_id FROM committed_batches WHERE epoch = ?")) {
                    q.setInt(1, e.getKey());
                    try (ResultSet rs = q.executeQuery()) {
                        while (rs.next()) {
                            long id = rs.getLong(1);
                            if (id < 0 || id >= trainWindows) {
                                throw new LedgerException("ledger " + where + " has batch id " + id + " in epoch " + e.getKey()
                                        + " outside [0, " + trainWindows + "): the corpus changed mid-run");
                            }
                            ids.set((int) id);
                        }
                    }
                }
                result.put(e.getKey(), ids);
            }
            return result;
        } catch (SQLException e) {
            throw fail("read committed batches", e);
        }
    }

    // ---- nodes ------------------------------------------------------------------------------------

    /// Records a node's handshake: first sight inserts it, later ones update last-seen (and the key if it
    /// was unknown). Buffered (see the class comment); [#publicKey] sees it at once.
    public synchronized void nodeSeen(String nodeId, byte[] publicKey, Instant now) {
        activity.seen(nodeId, publicKey, now.toEpochMilli());
        flushActivityIfDue(now.toEpochMilli());
    }

    /// A heartbeat: the node is still there (buffered like [#nodeSeen]; a node not yet recorded is inserted).
    public synchronized void nodeActive(String nodeId, Instant now) {
        activity.seen(nodeId, null, now.toEpochMilli());
        flushActivityIfDue(now.toEpochMilli());
    }

    /// Writes the buffered node activity now (one transaction).
    public synchronized void flushNodeActivity() {
        if (activity.isEmpty()) return;
        var pending = activity.drain();
        inTransaction("record " + pending.size() + " nodes' activity", () -> {
            try (var u = db().prepareStatement("INSERT INTO nodes (node_id, public_key, first_seen_ms, last_seen_ms) "
                    + "VALUES (?, ?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET last_seen_ms = "
                    + "GREATEST_SEEN, public_key = COALESCE(nodes.public_key, excluded.public_key)"
                    .replace("GREATEST_SEEN", postgres ? "GREATEST(nodes.last_seen_ms, excluded.last_seen_ms)"
                            : "MAX(nodes.last_seen_ms, excluded.last_seen_ms)"))) {
                for (NodeActivity.Seen seen : pending) {
                    u.setString(1, seen.nodeId());
                    if (seen.publicKey() == null) {
                        u.setNull(2, Types.BINARY);
                    } else {
                        u.setBytes(2, seen.publicKey());
                    }
                    u.setLong(3, seen.firstMillis());
                    u.setLong(4, seen.lastMillis());
                    u.addBatch();
                }
                u.executeBatch();
            }
            return null;
        });
    }

    private void flushActivityIfDue(long nowMillis) {
        if (activity.size() >= NODE_ACTIVITY_BATCH
                || nowMillis - activity.oldestMillis() >= NODE_ACTIVITY_FLUSH_INTERVAL.toMillis()) {
            flushNodeActivity();
        }
    }

    /// Quarantines a node (it stays quarantined across restarts); the reason is shown to its owner.
    public synchronized void quarantine(String nodeId, String reason, Instant now) {
        try (var u = db().prepareStatement("INSERT INTO nodes (node_id, first_seen_ms, last_seen_ms, quarantined, "
                + "quarantine_reason, quarantined_ms) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (node_id) DO UPDATE SET "
                + "quarantined = 1, quarantine_reason = excluded.quarantine_reason, quarantined_ms = excluded.quarantined_ms")) {
            u.setString(1, nodeId);
            u.setLong(2, now.toEpochMilli());
            u.setLong(3, now.toEpochMilli());
            u.setString(4, reason);
            u.setLong(5, now.toEpochMilli());
            u.executeUpdate();
        } catch (SQLException e) {
            throw fail("quarantine node " + nodeId, e);
        }
    }

    /// The reason a node is quarantined, or empty if it is not.
    public synchronized Optional<String> quarantineReason(String nodeId) {
        try (var q = db().prepareStatement("SELECT quarantine_reason FROM nodes WHERE node_id = ? AND quarantined = 1")) {
            q.setString(1, nodeId);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(String.valueOf(rs.getString(1))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw fail("read quarantine of " + nodeId, e);
        }
    }

    public synchronized Set<String> quarantinedNodes() {
        var out = new TreeSet<String>();
        try (var q = db().prepareStatement("SELECT node_id FROM nodes WHERE quarantined = 1");
             ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        } catch (SQLException e) {
            throw fail("read quarantined nodes", e);
        }
    }

    /// The stored public key of a node, or empty if it is unknown.
    public synchronized Optional<byte[]> publicKey(String nodeId) {
        byte[] buffered = activity.publicKey(nodeId);
        if (buffered != null) return Optional.of(buffered.clone());
        try (var q = db().prepareStatement("SELECT public_key FROM nodes WHERE node_id = ?")) {
            q.setString(1, nodeId);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getBytes(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw fail("read the key of " + nodeId, e);
        }
    }

    /// Records one loss spot check (NaN losses are stored as NULL).
    public synchronized void recordSpotCheck(long round, String nodeId, double lossBefore, double lossAfter, boolean strike,
                                             String reason, Instant now) {
        try (var s = db().prepareStatement("INSERT INTO spot_checks (round, node_id, loss_before, loss_after, strike, reason, "
                + "checked_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            s.setLong(1, round);
            s.setString(2, nodeId);
            setDouble(s, 3, lossBefore);
            setDouble(s, 4, lossAfter);
            s.setInt(5, strike ? 1 : 0);
            s.setString(6, reason);
            s.setLong(7, now.toEpochMilli());
            s.executeUpdate();
        } catch (SQLException e) {
            throw fail("record a spot check of " + nodeId, e);
        }
    }

    /// A strike: a spot check in which a node's update made its own batch worse.
    public record Strike(String nodeId, long round) {
    }

    /// Strikes in rounds after `afterRound`, oldest first (to rebuild the spot-check window at restart).
    public synchronized List<Strike> strikesAfter(long afterRound) {
        var out = new ArrayList<Strike>();
        try (var q = db().prepareStatement("SELECT node_id, round FROM spot_checks WHERE strike = 1 AND round > ? ORDER BY round, id")) {
            q.setLong(1, afterRound);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new Strike(rs.getString(1), rs.getLong(2)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw fail("read strikes", e);
        }
    }

    // ---- rounds -----------------------------------------------------------------------------------

    public synchronized void roundOpened(long round, long baseVersion, Instant opened, Instant deadline) {
        try (var u = db().prepareStatement("INSERT INTO rounds (round, base_version, status, opened_ms, deadline_ms) "
                + "VALUES (?, ?, 'OPEN', ?, ?)")) {
            u.setLong(1, round);
            u.setLong(2, baseVersion);
            u.setLong(3, opened.toEpochMilli());
            u.setLong(4, deadline.toEpochMilli());
            u.executeUpdate();
        } catch (SQLException e) {
            throw fail("record round " + round + " opened", e);
        }
    }

    public synchronized void roundFailed(long round, String reason, Instant now) {
        try (var u = db().prepareStatement("UPDATE rounds SET status = 'FAILED', reason = ?, closed_ms = ? "
                + "WHERE round = ? AND status = 'OPEN'")) {
            u.setString(1, reason);
            u.setLong(2, now.toEpochMilli());
            u.setLong(3, round);
            if (u.executeUpdate() != 1) {
                throw new LedgerException("round " + round + " failed but the ledger has no open round " + round);
            }
        } catch (SQLException e) {
            throw fail("record round " + round + " failed", e);
        }
    }

    /// Records an upload and its verdict (accepted ones get their credits at commit).
    public synchronized void recordUpdate(UpdateRecord u) {
        try (var s = db().prepareStatement("INSERT INTO updates (round, node_id, accepted, reason, bytes, tokens, norm, "
                + "received_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setLong(1, u.round());
            s.setString(2, u.nodeId());
            s.setInt(3, u.accepted() ? 1 : 0);
            s.setString(4, u.reason());
            s.setLong(5, u.bytes());
            s.setLong(6, u.tokens());
            setDouble(s, 7, u.norm());
            s.setLong(8, u.receivedAt().toEpochMilli());
            s.executeUpdate();
        } catch (SQLException e) {
            throw fail("record an update of " + u.nodeId(), e);
        }
    }

    /// Records the agreement of each of a round's accepted uploads with the round's others
    /// (`validation.UpdateAgreement`; NaN is stored as NULL: not compared). Before the round's commit, which marks
    /// dropped uploads as not accepted.
    ///
    /// @param agreements node id → its update's agreement
    public synchronized void recordAgreements(long round, Map<String, Double> agreements) {
        if (agreements.isEmpty()) return;
        inTransaction("record the agreements of round " + round, () -> {
            try (var u = db().prepareStatement("UPDATE updates SET agreement = ? WHERE round = ? AND node_id = ? "
                    + "AND accepted = 1")) {
                for (var e : agreements.entrySet()) {
                    setDouble(u, 1, e.getValue());
                    u.setLong(2, round);
                    u.setString(3, e.getKey());
                    u.addBatch();
                }
                u.executeBatch();
            }
            return null;
        });
    }

    /// Commits a round in one transaction: its version and stats, the batches trained into it (a batch
    /// already committed in its epoch fails the whole commit), credits for non-quarantined nodes, and the
    /// verdict of updates dropped at aggregation.
    ///
    /// @param dropped node id → why its accepted upload was left out at aggregation
    public synchronized void commitRound(RoundCommit commit, RoundStats stats, Map<String, String> dropped) {
        inTransaction("commit round " + commit.round(), () -> {
            try (var u = db().prepareStatement("UPDATE rounds SET status = 'COMMITTED', version = ?, closed_ms = ?, "
                    + "mean_loss = ?, val_loss = ?, tokens = ?, accepted = ?, rejected = ?, bytes_in = ?, bytes_out = ? "
                    + "WHERE round = ? AND status = 'OPEN'")) {
                u.setLong(1, commit.version());
                u.setLong(2, commit.committedAt().toEpochMilli());
                setDouble(u, 3, stats.meanLoss());
                setDouble(u, 4, stats.valLoss());
                u.setLong(5, commit.totalTokens());
                u.setInt(6, commit.committed().size());
                u.setInt(7, stats.rejected() + dropped.size());
                u.setLong(8, stats.bytesIn());
                u.setLong(9, stats.bytesOut());
                u.setLong(10, commit.round());
                if (u.executeUpdate() != 1) {
                    throw new LedgerException("commit of round " + commit.round() + " but the ledger has no open round "
                            + commit.round());
                }
            }
            try (var ins = db().prepareStatement("INSERT INTO committed_batches (epoch, batch_id, round, node_id) "
                    + "VALUES (?, ?, ?, ?)")) {
                for (var e : commit.committed().entrySet()) {
                    for (BatchRef ref : e.getValue()) {
                        ins.setInt(1, ref.epoch());
                        ins.setLong(2, ref.id());
                        ins.setLong(3, commit.round());
                        ins.setString(4, e.getKey());
                        ins.addBatch();
                    }
                }
                ins.executeBatch();
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState()) // PostgreSQL: unique_violation
                        || e.getMessage() != null && e.getMessage().contains("UNIQUE")) { // SQLite
                    throw new LedgerException("commit of round " + commit.round()
                            + " refused: a batch in it was already committed in the same epoch (" + e.getMessage() + ")", e);
                }
                throw e;
            }
            Set<String> quarantined = quarantinedNodes();
            for (var e : commit.tokens().entrySet()) {
                long credits = Credits.forUpdate(e.getValue(), true, quarantined.contains(e.getKey()));
                try (var c = db().prepareStatement("INSERT INTO credits (round, node_id, credits) VALUES (?, ?, ?)")) {
                    c.setLong(1, commit.round());
                    c.setString(2, e.getKey());
                    c.setLong(3, credits);
                    c.executeUpdate();
                }
                try (var c = db().prepareStatement("UPDATE updates SET credits = ? WHERE round = ? AND node_id = ? AND accepted = 1")) {
                    c.setLong(1, credits);
                    c.setLong(2, commit.round());
                    c.setString(3, e.getKey());
                    c.executeUpdate();
                }
            }
            for (var e : dropped.entrySet()) {
                try (var c = db().prepareStatement("UPDATE updates SET accepted = 0, reason = ? WHERE round = ? AND node_id = ? "
                        + "AND accepted = 1")) {
                    c.setString(1, e.getValue());
                    c.setLong(2, commit.round());
                    c.setString(3, e.getKey());
                    c.executeUpdate();
                }
            }
            return null;
        });
    }

    // ---- queries ----------------------------------------------------------------------------------

    /// Nodes by credits, highest first. A quarantined node forfeits every credit, also those of rounds before its
    /// quarantine (a cheater whose bad updates passed some spot checks by chance earns nothing); the per-round
    /// rows stay in `credits` for the record.
    public synchronized List<LeaderboardEntry> leaderboard(int limit) {
        var out = new ArrayList<LeaderboardEntry>();
        try (var q = db().prepareStatement("SELECT c.node_id, CASE WHEN COALESCE(n.quarantined, 0) = 1 THEN 0 "
                + "ELSE SUM(c.credits) END AS earned, COUNT(*), COALESCE(n.quarantined, 0) "
                + "FROM credits c LEFT JOIN nodes n ON n.node_id = c.node_id GROUP BY c.node_id, n.quarantined "
                + "ORDER BY earned DESC, c.node_id LIMIT ?")) {
            q.setInt(1, limit);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new LeaderboardEntry(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getInt(4) == 1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw fail("read the leaderboard", e);
        }
    }

    /// The last `limit` round attempts, oldest first.
    public synchronized List<RoundRow> recentRounds(int limit) {
        var out = new ArrayList<RoundRow>();
        try (var q = db().prepareStatement("SELECT * FROM (SELECT round, base_version, version, status, reason, opened_ms, "
                + "deadline_ms, closed_ms, mean_loss, val_loss, tokens, accepted, rejected, bytes_in, bytes_out "
                + "FROM rounds ORDER BY round DESC LIMIT ?) AS recent ORDER BY round")) {
            q.setInt(1, limit);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    long version = rs.getLong(3);
                    if (rs.wasNull()) {
                        version = -1;
                    }
                    long closed = rs.getLong(8);
                    Instant closedAt = rs.wasNull() ? null : Instant.ofEpochMilli(closed);
                    out.add(new RoundRow(rs.getLong(1), rs.getLong(2), version, rs.getString(4), rs.getString(5),
                            Instant.ofEpochMilli(rs.getLong(6)), Instant.ofEpochMilli(rs.getLong(7)), closedAt,
                            getDouble(rs, 9), getDouble(rs, 10), rs.getLong(11), rs.getInt(12), rs.getInt(13),
                            rs.getLong(14), rs.getLong(15)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw fail("read rounds", e);
        }
    }

    /// Every committed update of a round as (node → batch count), for checks and tests.
    public synchronized Map<String, Long> committedBatchCounts(long round) {
        var out = new TreeMap<String, Long>();
        try (var q = db().prepareStatement("SELECT node_id, COUNT(*) FROM committed_batches WHERE round = ? GROUP BY node_id")) {
            q.setLong(1, round);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
            return out;
        } catch (SQLException e) {
            throw fail("read committed batches of round " + round, e);
        }
    }

    /// The round that committed each version from `fromVersion` on (version → round id). Round ids are never reused,
    /// so a stored commit is this run's version exactly when its `round` is the one named here (a version committed
    /// again after a rollback has another round).
    public synchronized Map<Long, Long> committedRoundsFrom(long fromVersion) {
        var out = new TreeMap<Long, Long>();
        try (var q = db().prepareStatement("SELECT version, round FROM rounds WHERE status = 'COMMITTED' AND version >= ?")) {
            q.setLong(1, fromVersion);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), rs.getLong(2));
                }
            }
            return out;
        } catch (SQLException e) {
            throw fail("read the committed rounds from version " + fromVersion, e);
        }
    }

    /// Every committed batch id, by the node whose update carried it (for checks and tests).
    public synchronized Map<String, List<Long>> committedBatchesByNode() {
        var out = new TreeMap<String, List<Long>>();
        try (var q = db().prepareStatement("SELECT node_id, batch_id FROM committed_batches ORDER BY round, batch_id");
             ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                out.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getLong(2));
            }
            return out;
        } catch (SQLException e) {
            throw fail("read committed batches", e);
        }
    }

    /// The uploads recorded for a round, in arrival order.
    public synchronized List<UpdateRecord> updates(long round) {
        var out = new ArrayList<UpdateRecord>();
        try (var q = db().prepareStatement("SELECT round, node_id, accepted, reason, bytes, tokens, norm, received_ms "
                + "FROM updates WHERE round = ? ORDER BY id")) {
            q.setLong(1, round);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new UpdateRecord(rs.getLong(1), rs.getString(2), rs.getInt(3) == 1, rs.getString(4),
                            rs.getLong(5), rs.getLong(6), getDouble(rs, 7), Instant.ofEpochMilli(rs.getLong(8))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw fail("read updates of round " + round, e);
        }
    }

    /// Audits committed batches against the run's corpus size (see {@link BatchAudit}).
    public synchronized BatchAudit auditBatches() {
        try {
            long windows;
            try (var q = db().prepareStatement("SELECT train_windows FROM run_info WHERE id = 1");
                 ResultSet rs = q.executeQuery()) {
                if (!rs.next()) {
                    throw new LedgerException("ledger " + where + " is not bound to a run yet (bindRun)");
                }
                windows = rs.getLong(1);
            }
            var perEpoch = new TreeMap<Integer, Long>();
            try (var q = db().prepareStatement("SELECT epoch, COUNT(*) FROM committed_batches GROUP BY epoch");
                 ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    perEpoch.put(rs.getInt(1), rs.getLong(2));
                }
            }
            long duplicates = scalar("SELECT COUNT(*) FROM (SELECT 1 FROM committed_batches GROUP BY epoch, batch_id "
                    + "HAVING COUNT(*) > 1) AS twice");
            long outOfRange = scalar("SELECT COUNT(*) FROM committed_batches WHERE batch_id < 0 OR batch_id >= "
                    + windows);
            long orphaned = scalar("SELECT COUNT(*) FROM committed_batches b JOIN rounds r ON r.round = b.round "
                    + "WHERE r.status <> 'COMMITTED'");
            var problems = new ArrayList<String>();
            if (duplicates > 0) {
                problems.add(duplicates + " batch ids committed more than once in the same epoch");
            }
            if (outOfRange > 0) {
                problems.add(outOfRange + " committed batch ids outside [0, " + windows + ")");
            }
            if (orphaned > 0) {
                problems.add(orphaned + " committed batch ids belong to rounds that are not committed");
            }
            if (!perEpoch.isEmpty()) {
                int last = perEpoch.lastKey();
                for (int e = 0; e < last; e++) {
                    long n = perEpoch.getOrDefault(e, 0L);
                    if (n != windows) {
                        problems.add("epoch " + e + ": " + n + " of " + windows + " batches committed ("
                                + (windows - n) + " missing; fine only while they are back in the pool)");
                    }
                }
            }
            return new BatchAudit(windows, perEpoch, duplicates, outOfRange, orphaned, problems);
        } catch (SQLException e) {
            throw fail("audit batches", e);
        }
    }

    /// Totals for the dashboard.
    public synchronized RunSummary summary() {
        flushNodeActivity();
        try {
            String runId = "";
            String name = "";
            try (var q = db().prepareStatement("SELECT run_id, name FROM run_info WHERE id = 1");
                 ResultSet rs = q.executeQuery()) {
                if (rs.next()) {
                    runId = rs.getString(1);
                    name = rs.getString(2);
                }
            }
            Position p = position();
            return new RunSummary(runId, name, p.lastRound(), p.lastVersion(),
                    scalar("SELECT COALESCE(SUM(tokens), 0) FROM rounds WHERE status = 'COMMITTED'"),
                    scalar("SELECT COUNT(*) FROM nodes"),
                    scalar("SELECT COUNT(*) FROM nodes WHERE quarantined = 1"),
                    scalar("SELECT COUNT(*) FROM updates WHERE accepted = 1"),
                    scalar("SELECT COUNT(*) FROM updates WHERE accepted = 0"),
                    scalar("SELECT COALESCE(SUM(bytes_in), 0) FROM rounds"),
                    scalar("SELECT COALESCE(SUM(bytes_out), 0) FROM rounds"));
        } catch (SQLException e) {
            throw fail("read the summary", e);
        }
    }

    /// The journal mode and synchronous level actually in force (for the startup log and a test).
    public synchronized String durability() {
        if (postgres) {
            try (var s = db().createStatement()) {
                String fsync;
                try (ResultSet rs = s.executeQuery("SHOW fsync")) {
                    fsync = rs.next() ? rs.getString(1) : "?";
                }
                try (ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
                    return "postgresql fsync=" + fsync + ", synchronous_commit=" + (rs.next() ? rs.getString(1) : "?");
                }
            } catch (SQLException e) {
                throw fail("read settings", e);
            }
        }
        try (var s = db().createStatement()) {
            String journal;
            try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                journal = rs.next() ? rs.getString(1) : "?";
            }
            try (ResultSet rs = s.executeQuery("PRAGMA synchronous")) {
                int level = rs.next() ? rs.getInt(1) : -1;
                return "journal_mode=" + journal + ", synchronous=" + switch (level) {
                    case 0 -> "OFF";
                    case 1 -> "NORMAL";
                    case 2 -> "FULL";
                    case 3 -> "EXTRA";
                    default -> String.valueOf(level);
                };
            }
        } catch (SQLException e) {
            throw fail("read pragmas", e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        try {
            flushNodeActivity();
        } finally {
            closed = true;
            try {
                if (held != null) held.close();
                if (pool != null) pool.close();
            } catch (Exception e) {
                throw new LedgerException("ledger " + where + ": cannot close: " + e.getMessage(), e);
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    @FunctionalInterface
    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    private <T> T inTransaction(String what, SqlWork<T> work) {
        try {
            db().setAutoCommit(false);
            try {
                T result = work.run();
                db().commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                db().rollback();
                throw e;
            } finally {
                db().setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw fail(what, e);
        }
    }

    private void exec(String sql, long arg) throws SQLException {
        try (var s = db().prepareStatement(sql)) {
            s.setLong(1, arg);
            s.executeUpdate();
        }
    }

    private long scalar(String sql) throws SQLException {
        try (var s = db().prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void setDouble(PreparedStatement s, int index, double value) throws SQLException {
        if (Double.isFinite(value)) {
            s.setDouble(index, value);
        } else {
            s.setNull(index, Types.DOUBLE);
        }
    }

    private static double getDouble(ResultSet rs, int index) throws SQLException {
        double v = rs.getDouble(index);
        return rs.wasNull() ? Double.NaN : v;
    }

    private LedgerException fail(String what, SQLException e) {
        if (e.getSQLState() != null && e.getSQLState().startsWith("08")) { // connection exception: take a new one next call
            try {
                if (held != null) held.close();
            } catch (SQLException ignored) {
                // it is gone either way
            }
            held = null;
        }
        return new LedgerException("ledger " + where + ": cannot " + what + ": " + e.getMessage(), e);
    }
}
