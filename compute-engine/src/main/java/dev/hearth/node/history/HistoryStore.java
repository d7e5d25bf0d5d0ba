package dev.hearth.node.history;

import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.api.Tariff;
import dev.hearth.node.api.EnergySource;
import dev.hearth.node.api.RoundEnergy;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.log.NodeLogger;
import dev.hearth.node.net.VolumeLedger;
import dev.hearth.node.settings.DataDirs;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/// The contribution history: SQLite in the data dir (`history.db`), schema by Flyway migrations
/// (`dev/hearth/node/history/migration`).
///
/// **Durability.** WAL journal with `synchronous=FULL`: every commit is fsynced to the WAL before
/// `recordRound` returns. NORMAL would already survive `kill -9` of the node (the WAL is in the OS
/// page cache), but could lose the last rounds on a power cut or an OS crash — on a gaming PC
/// those are not rare (a driver crash under load). A round is committed at most about once a
/// minute, so the extra fsync (a few ms) costs nothing noticeable, and a round's credits are what
/// the owner cares about.
///
/// **Threads.** One writer connection, used under its own lock (SQLite allows one writer at a time
/// anyway), and one read-only connection under another lock, so the app's charts never wait for a
/// write and vice versa (WAL readers see the last committed state).
///
/// **Crash.** [#open] closes any session left open by a process that died, with the reason
/// [#CRASH_STOP_REASON] and the time of its last recorded round (or its start).
///
/// A round is keyed by (run, round): recording the same round again replaces it, so the node can
/// record a round when it uploads and again when the commit brings its credits.
public final class HistoryStore implements ContributionHistory, VolumeLedger, AutoCloseable {

    public static final String FILE_NAME = "history.db";
    public static final String CRASH_STOP_REASON = "node stopped unexpectedly";
    public static final String CLOSE_STOP_REASON = "node shut down";
    /// 10,000 rows: the most one page of the history list may hold; the UI pages by ~100.
    public static final int MAX_PAGE_ROWS = 10_000;
    /// 5 s: how long a write waits for another connection's lock (only Flyway or a second tool).
    private static final int BUSY_TIMEOUT_MS = 5_000;
    /// 15 minutes in ms: every time zone offset in use is a multiple of 15 minutes, so rounds summed
    /// per 15-minute slot in SQL can be assigned to local days exactly in Java, DST included, while
    /// a year of history is at most ~35,000 slots instead of ~500,000 rows.
    private static final long SLOT_MS = 15 * 60 * 1000;
    /// The CSV's header: the round columns, energy in kWh, and the cost at the owner's tariff.
    public static final String CSV_HEADER = "run,round,finished_at,tokens,compute_seconds,bytes_up,bytes_down,accepted,"
            + "reject_reason,credits,local_loss,energy_kwh,energy_source,cost,currency";
    private static final String MIGRATIONS = "classpath:dev/hearth/node/history/migration";
    private static final String ROUND_COLUMNS =
            "run, round, finished_at, tokens, compute_seconds, bytes_up, bytes_down, accepted, reject_reason, credits, local_loss, "
            + "energy_joules, energy_source";

    private final Path file;
    private final Clock clock;
    private final NodeLogger log;
    private final Connection writer;
    private final Connection reader;
    private final Object writeLock = new Object();
    private final Object readLock = new Object();
    private long currentSession = -1;
    private boolean closed;

    /// @param writer null when opened with [#openReadOnly]: every write then fails, naming why
    private HistoryStore(Path file, Clock clock, NodeLogger log, Connection writer, Connection reader) {
        this.file = file;
        this.clock = clock;
        this.log = log;
        this.writer = writer;
        this.reader = reader;
    }

    /// Opens (creating and migrating as needed) `history.db` in `dataDir` and closes sessions left
    /// open by a crash.
    ///
    /// @throws HistoryException naming the file and the problem, e.g. when it is not a database
    public static HistoryStore open(Path dataDir, Clock clock, EventLog eventLog) {
        Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
        NodeLogger log = eventLog.logger("history");
        String url = "jdbc:sqlite:" + file;
        Connection writer = null;
        try {
            SQLiteConfig config = baseConfig();
            SQLiteDataSource ds = new SQLiteDataSource(config);
            ds.setUrl(url);
            Flyway.configure(HistoryStore.class.getClassLoader())
                    .dataSource(ds)
                    .locations(MIGRATIONS)
                    .load()
                    .migrate();
            writer = config.createConnection(url);
            DataDirs.restrictToOwner(file);
            Connection reader = readOnlyConnection(url);
            HistoryStore store = new HistoryStore(file, clock, log, writer, reader);
            store.closeCrashedSessions();
            return store;
        } catch (SQLException | RuntimeException e) {
            if (writer != null) {
                try {
                    writer.close();
                } catch (SQLException ignored) {
                    // already failing
                }
            }
            throw new HistoryException("cannot open the contribution history " + file + ": " + e.getMessage()
                    + ". If the file is damaged, move it away and Hearth starts a new one.", e);
        }
    }

    /// Opens `history.db` in `dataDir` for reading only: no migration, no crash recovery, no
    /// permission change, and every write method throws. For `./hearth status` and other tools that
    /// look at the history while a node may be running: [#open]'s crash recovery would close the
    /// live node's session as [#CRASH_STOP_REASON].
    ///
    /// @return empty when no history has been written in `dataDir` yet
    /// @throws HistoryException naming the file and the problem, e.g. when it is not a database
    public static java.util.Optional<HistoryStore> openReadOnly(Path dataDir, Clock clock, EventLog eventLog) {
        Path file = dataDir.resolve(FILE_NAME).toAbsolutePath();
        if (!java.nio.file.Files.isRegularFile(file)) return java.util.Optional.empty();
        try {
            return java.util.Optional.of(new HistoryStore(file, clock, eventLog.logger("history"), null,
                    readOnlyConnection("jdbc:sqlite:" + file)));
        } catch (SQLException e) {
            throw new HistoryException("cannot read the contribution history " + file + ": " + e.getMessage(), e);
        }
    }

    private static Connection readOnlyConnection(String url) throws SQLException {
        // The journal mode is a property of the file (set by the writer); a read-only connection
        // may not set it, nor synchronous.
        SQLiteConfig readConfig = new SQLiteConfig();
        readConfig.setReadOnly(true);
        readConfig.setBusyTimeout(BUSY_TIMEOUT_MS);
        return readConfig.createConnection(url);
    }

    private static SQLiteConfig baseConfig() {
        SQLiteConfig c = new SQLiteConfig();
        c.setJournalMode(SQLiteConfig.JournalMode.WAL);
        c.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        c.setBusyTimeout(BUSY_TIMEOUT_MS);
        c.enforceForeignKeys(true);
        return c;
    }

    public Path file() {
        return file;
    }

    // ------------------------------------------------------------------ writes

    private void closeCrashedSessions() throws SQLException {
        synchronized (writeLock) {
            List<Long> open = new ArrayList<>();
            try (Statement st = writer.createStatement();
                 ResultSet rs = st.executeQuery("SELECT id FROM node_session WHERE ended_at IS NULL")) {
                while (rs.next()) open.add(rs.getLong(1));
            }
            if (open.isEmpty()) return;
            try (PreparedStatement ps = writer.prepareStatement("""
                    UPDATE node_session
                       SET ended_at = MAX(started_at, COALESCE(
                             (SELECT MAX(finished_at) FROM round_record WHERE session_id = node_session.id), started_at)),
                           stop_reason = ?
                     WHERE ended_at IS NULL""")) {
                ps.setString(1, CRASH_STOP_REASON);
                ps.executeUpdate();
            }
            log.warn("the previous run of the node stopped without shutting down (session " + open
                    + "); its history up to the last recorded round is kept");
        }
    }

    /// Starts a session (the node began contributing) and makes it the one new rounds belong to.
    /// @return the session id
    public long startSession(Instant at) {
        Objects.requireNonNull(at, "at");
        synchronized (writeLock) {
            ensureWritable();
            try (PreparedStatement ps = writer.prepareStatement(
                    "INSERT INTO node_session (started_at) VALUES (?)", Statement.RETURN_GENERATED_KEYS)) {
                ps.setLong(1, at.toEpochMilli());
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    currentSession = keys.getLong(1);
                    return currentSession;
                }
            } catch (SQLException e) {
                throw failure("start a session", e);
            }
        }
    }

    /// Ends session `id` with a reason a person can read ("paused by you", "you are using the computer").
    /// @throws IllegalArgumentException when there is no such session or it has already ended
    public void endSession(long id, Instant at, String reason) {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(reason, "reason");
        synchronized (writeLock) {
            ensureWritable();
            try (PreparedStatement ps = writer.prepareStatement(
                    "UPDATE node_session SET ended_at = ?, stop_reason = ? WHERE id = ? AND ended_at IS NULL")) {
                ps.setLong(1, at.toEpochMilli());
                ps.setString(2, reason);
                ps.setLong(3, id);
                if (ps.executeUpdate() != 1) {
                    throw new IllegalArgumentException("session " + id + " does not exist or has already ended");
                }
                if (currentSession == id) currentSession = -1;
            } catch (SQLException e) {
                throw failure("end session " + id, e);
            }
        }
    }

    /// The session rounds are recorded against, or -1 when none is open.
    public long currentSession() {
        synchronized (writeLock) {
            return currentSession;
        }
    }

    /// Records (or replaces, keyed by run and round) one round; durable when this returns.
    /// @throws IllegalArgumentException naming the bad field
    public void recordRound(RoundRecord r) {
        validate(r);
        synchronized (writeLock) {
            ensureWritable();
            try (PreparedStatement ps = writer.prepareStatement("INSERT INTO round_record (session_id, " + ROUND_COLUMNS + """
                    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (run, round) DO UPDATE SET
                      session_id = COALESCE(excluded.session_id, session_id), finished_at = excluded.finished_at,
                      tokens = excluded.tokens, compute_seconds = excluded.compute_seconds,
                      bytes_up = excluded.bytes_up, bytes_down = excluded.bytes_down, accepted = excluded.accepted,
                      reject_reason = excluded.reject_reason, credits = excluded.credits, local_loss = excluded.local_loss,
                      energy_joules = COALESCE(excluded.energy_joules, energy_joules),
                      energy_source = COALESCE(excluded.energy_source, energy_source)""")) {
                if (currentSession < 0) ps.setNull(1, Types.INTEGER);
                else ps.setLong(1, currentSession);
                ps.setString(2, r.run());
                ps.setLong(3, r.round());
                ps.setLong(4, r.finishedAt().toEpochMilli());
                ps.setLong(5, r.tokens());
                ps.setDouble(6, r.computeSeconds());
                ps.setLong(7, r.bytesUp());
                ps.setLong(8, r.bytesDown());
                ps.setInt(9, r.accepted() ? 1 : 0);
                ps.setString(10, r.rejectReason() == null ? "" : r.rejectReason());
                ps.setDouble(11, r.credits());
                if (Double.isFinite(r.localLoss())) ps.setDouble(12, r.localLoss());
                else ps.setNull(12, Types.REAL);
                if (r.energy() != null) {
                    ps.setDouble(13, r.energy().joules());
                    ps.setString(14, r.energy().source().column());
                } else {
                    ps.setNull(13, Types.REAL);
                    ps.setNull(14, Types.VARCHAR);
                }
                ps.executeUpdate();
            } catch (SQLException e) {
                throw failure("record round " + r.round() + " of " + r.run(), e);
            }
        }
    }

    private static void validate(RoundRecord r) {
        Objects.requireNonNull(r, "round record");
        if (r.run() == null || r.run().isBlank()) throw new IllegalArgumentException("round record: run is empty");
        if (r.round() < 0) throw new IllegalArgumentException("round record: round " + r.round() + " is negative");
        if (r.finishedAt() == null) throw new IllegalArgumentException("round record: finishedAt is missing");
        if (r.tokens() < 0) throw new IllegalArgumentException("round record: tokens " + r.tokens() + " is negative");
        if (r.bytesUp() < 0 || r.bytesDown() < 0) throw new IllegalArgumentException("round record: byte counts must not be negative");
        if (!Double.isFinite(r.computeSeconds()) || r.computeSeconds() < 0)
            throw new IllegalArgumentException("round record: computeSeconds " + r.computeSeconds() + " is not a non-negative number");
        if (!Double.isFinite(r.credits())) throw new IllegalArgumentException("round record: credits " + r.credits() + " is not a number");
    }

    @Override
    public void add(LocalDate day, long bytesUp, long bytesDown) {
        if (bytesUp < 0 || bytesDown < 0) throw new IllegalArgumentException("byte counts must not be negative");
        synchronized (writeLock) {
            ensureWritable();
            try (PreparedStatement ps = writer.prepareStatement("""
                    INSERT INTO daily_volume (day, bytes_up, bytes_down) VALUES (?, ?, ?)
                    ON CONFLICT (day) DO UPDATE SET bytes_up = bytes_up + excluded.bytes_up,
                                                    bytes_down = bytes_down + excluded.bytes_down""")) {
                ps.setString(1, day.toString());
                ps.setLong(2, bytesUp);
                ps.setLong(3, bytesDown);
                ps.executeUpdate();
            } catch (SQLException e) {
                throw failure("record the day's network volume", e);
            }
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public long bytesOn(LocalDate day) {
        synchronized (readLock) {
            ensureOpen();
            try (PreparedStatement ps = reader.prepareStatement("SELECT bytes_up + bytes_down FROM daily_volume WHERE day = ?")) {
                ps.setString(1, day.toString());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0;
                }
            } catch (SQLException e) {
                throw failure("read the day's network volume", e);
            }
        }
    }

    @Override
    public Totals totals() {
        synchronized (readLock) {
            ensureOpen();
            try (Statement st = reader.createStatement();
                 ResultSet rs = st.executeQuery("""
                         SELECT COALESCE(SUM(tokens), 0), COALESCE(SUM(compute_seconds), 0),
                                COALESCE(SUM(accepted), 0), COALESCE(SUM(1 - accepted), 0), COALESCE(SUM(credits), 0),
                                COALESCE(SUM(bytes_up), 0), COALESCE(SUM(bytes_down), 0),
                                COALESCE(SUM(energy_joules), 0), COALESCE(MAX(energy_source = 'estimate'), 0)
                           FROM round_record""")) {
                rs.next();
                return new Totals(rs.getLong(1), rs.getDouble(2), rs.getInt(3), rs.getInt(4), rs.getDouble(5),
                        rs.getLong(6), rs.getLong(7), rs.getDouble(8), rs.getInt(9) == 1);
            } catch (SQLException e) {
                throw failure("read the totals", e);
            }
        }
    }

    @Override
    public List<DailyTotal> perDay(int days, ZoneId zone) {
        if (days < 1 || days > 3_660) throw new IllegalArgumentException("days must be 1..3660, got " + days);
        LocalDate today = LocalDate.now(clock.withZone(zone));
        LocalDate first = today.minusDays(days - 1L);
        return buckets(first, today.plusDays(1), zone, d -> d, 1);
    }

    @Override
    public List<DailyTotal> perWeek(int weeks, ZoneId zone) {
        if (weeks < 1 || weeks > 520) throw new IllegalArgumentException("weeks must be 1..520, got " + weeks);
        LocalDate thisMonday = LocalDate.now(clock.withZone(zone)).with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
        LocalDate first = thisMonday.minusWeeks(weeks - 1L);
        return buckets(first, thisMonday.plusWeeks(1), zone,
                d -> d.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)), 7);
    }

    /// Sums rounds finished in [first, end) local days of `zone` into buckets keyed by `bucketOf(day)`,
    /// one bucket every `step` days, empty buckets as zeros.
    private List<DailyTotal> buckets(LocalDate first, LocalDate end, ZoneId zone,
                                     java.util.function.UnaryOperator<LocalDate> bucketOf, int step) {
        Map<LocalDate, long[]> counts = new LinkedHashMap<>();     // tokens, rounds
        Map<LocalDate, double[]> sums = new LinkedHashMap<>();     // compute seconds, credits, joules, estimated (0/1)
        for (LocalDate d = first; d.isBefore(end); d = d.plusDays(step)) {
            counts.put(d, new long[2]);
            sums.put(d, new double[4]);
        }
        long from = first.atStartOfDay(zone).toInstant().toEpochMilli();
        long to = end.atStartOfDay(zone).toInstant().toEpochMilli();
        synchronized (readLock) {
            ensureOpen();
            try (PreparedStatement ps = reader.prepareStatement("""
                    SELECT finished_at / ? AS slot, SUM(tokens), SUM(compute_seconds), SUM(credits), COUNT(*),
                           COALESCE(SUM(energy_joules), 0), COALESCE(MAX(energy_source = 'estimate'), 0)
                      FROM round_record WHERE finished_at >= ? AND finished_at < ?
                     GROUP BY slot""")) {
                ps.setLong(1, SLOT_MS);
                ps.setLong(2, from);
                ps.setLong(3, to);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        LocalDate day = Instant.ofEpochMilli(rs.getLong(1) * SLOT_MS).atZone(zone).toLocalDate();
                        LocalDate key = bucketOf.apply(day);
                        long[] c = counts.get(key);
                        if (c == null) continue; // a slot straddling the range edge in an odd zone
                        c[0] += rs.getLong(2);
                        c[1] += rs.getLong(5);
                        double[] s = sums.get(key);
                        s[0] += rs.getDouble(3);
                        s[1] += rs.getDouble(4);
                        s[2] += rs.getDouble(6);
                        s[3] = Math.max(s[3], rs.getInt(7));
                    }
                }
            } catch (SQLException e) {
                throw failure("read the totals per day", e);
            }
        }
        List<DailyTotal> out = new ArrayList<>(counts.size());
        counts.forEach((d, c) -> {
            double[] s = sums.get(d);
            out.add(new DailyTotal(d, c[0], s[0], s[1], (int) c[1], s[2], s[3] > 0));
        });
        return List.copyOf(out);
    }

    @Override
    public List<RoundRecord> rounds(int limit, int offset) {
        if (limit < 0 || limit > MAX_PAGE_ROWS) throw new IllegalArgumentException("limit must be 0.." + MAX_PAGE_ROWS + ", got " + limit);
        if (offset < 0) throw new IllegalArgumentException("offset must not be negative, got " + offset);
        synchronized (readLock) {
            ensureOpen();
            try (PreparedStatement ps = reader.prepareStatement(
                    "SELECT " + ROUND_COLUMNS + " FROM round_record ORDER BY finished_at DESC, id DESC LIMIT ? OFFSET ?")) {
                ps.setInt(1, limit);
                ps.setInt(2, offset);
                List<RoundRecord> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) out.add(roundFrom(rs));
                }
                return List.copyOf(out);
            } catch (SQLException e) {
                throw failure("read the rounds", e);
            }
        }
    }

    /// How many rounds the history holds (for paging).
    public int roundCount() {
        synchronized (readLock) {
            ensureOpen();
            try (Statement st = reader.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM round_record")) {
                rs.next();
                return rs.getInt(1);
            } catch (SQLException e) {
                throw failure("count the rounds", e);
            }
        }
    }

    private static RoundRecord roundFrom(ResultSet rs) throws SQLException {
        double loss = rs.getDouble(11);
        if (rs.wasNull()) loss = Double.NaN;
        double joules = rs.getDouble(12);
        boolean metered = !rs.wasNull();
        String source = rs.getString(13);
        RoundEnergy energy = metered && source != null ? new RoundEnergy(joules, EnergySource.ofColumn(source)) : null;
        return new RoundRecord(rs.getString(1), rs.getLong(2), Instant.ofEpochMilli(rs.getLong(3)), rs.getLong(4),
                rs.getDouble(5), rs.getLong(6), rs.getLong(7), rs.getInt(8) == 1, rs.getString(9), rs.getDouble(10), loss,
                energy);
    }

    @Override
    public List<SessionRecord> sessions(int limit) {
        if (limit < 0 || limit > MAX_PAGE_ROWS) throw new IllegalArgumentException("limit must be 0.." + MAX_PAGE_ROWS + ", got " + limit);
        synchronized (readLock) {
            ensureOpen();
            try (PreparedStatement ps = reader.prepareStatement(
                    "SELECT id, started_at, ended_at, stop_reason FROM node_session ORDER BY started_at DESC, id DESC LIMIT ?")) {
                ps.setInt(1, limit);
                List<SessionRecord> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long end = rs.getLong(3);
                        Instant ended = rs.wasNull() ? null : Instant.ofEpochMilli(end);
                        String reason = rs.getString(4);
                        out.add(new SessionRecord(rs.getLong(1), Instant.ofEpochMilli(rs.getLong(2)), ended,
                                reason == null ? "" : reason));
                    }
                }
                return List.copyOf(out);
            } catch (SQLException e) {
                throw failure("read the sessions", e);
            }
        }
    }

    /// Every round, oldest first, as RFC 4180 CSV (CRLF line ends, fields quoted when needed) with a
    /// header. Instants are ISO-8601 UTC. Text that a spreadsheet would run as a formula (starting
    /// with `=`, `+`, `-`, `@`) is prefixed with `'`, since reject reasons come from the coordinator.
    /// Energy is `energy_kwh` and `energy_source` (`nvml`, `rapl`, `estimate`; both empty for rounds
    /// not metered), then `cost` and `currency` at today's tariff (empty without one).
    @Override
    public void exportCsv(Writer out) throws IOException {
        exportCsv(out, null);
    }

    /// [#exportCsv(Writer)] with each round's cost at `tariff` (null: the cost columns stay empty).
    @Override
    public void exportCsv(Writer out, Tariff tariff) throws IOException {
        synchronized (readLock) {
            ensureOpen();
            out.write(CSV_HEADER + "\r\n");
            try (Statement st = reader.createStatement();
                 ResultSet rs = st.executeQuery("SELECT " + ROUND_COLUMNS + " FROM round_record ORDER BY finished_at, id")) {
                while (rs.next()) {
                    RoundRecord r = roundFrom(rs);
                    out.write(String.join(",",
                            CsvText.field(r.run()), Long.toString(r.round()), r.finishedAt().toString(),
                            Long.toString(r.tokens()), Double.toString(r.computeSeconds()),
                            Long.toString(r.bytesUp()), Long.toString(r.bytesDown()), Boolean.toString(r.accepted()),
                            CsvText.field(r.rejectReason()), Double.toString(r.credits()),
                            Double.isNaN(r.localLoss()) ? "" : Double.toString(r.localLoss()),
                            r.energy() == null ? "" : Double.toString(r.energy().kwh()),
                            r.energy() == null ? "" : r.energy().source().column(),
                            r.energy() == null || tariff == null ? "" : Double.toString(tariff.cost(r.energy().kwh())),
                            r.energy() == null || tariff == null ? "" : tariff.currency()));
                    out.write("\r\n");
                }
            } catch (SQLException e) {
                throw new IOException("cannot read the history for export: " + e.getMessage(), e);
            }
        }
        out.flush();
    }

    // ------------------------------------------------------------------ lifecycle

    /// Ends a still-open session with [#CLOSE_STOP_REASON] and closes the database.
    @Override
    public void close() {
        synchronized (writeLock) {
            synchronized (readLock) {
                if (closed) return;
                if (currentSession >= 0) {
                    try {
                        endSession(currentSession, clock.instant(), CLOSE_STOP_REASON);
                    } catch (RuntimeException e) {
                        log.warn("could not end session " + currentSession + " on shutdown", e);
                    }
                }
                closed = true;
                try {
                    reader.close();
                    if (writer != null) writer.close();
                } catch (SQLException e) {
                    log.warn("closing the history database failed", e);
                }
            }
        }
    }

    private void ensureWritable() {
        ensureOpen();
        if (writer == null) throw new IllegalStateException("the contribution history " + file + " was opened read-only");
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("the contribution history is closed");
    }

    private HistoryException failure(String what, SQLException e) {
        return new HistoryException("cannot " + what + " in " + file + ": " + e.getMessage(), e);
    }

    /// The history database failed (disk full, damaged file...); the message names the file.
    public static final class HistoryException extends RuntimeException {
        public HistoryException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
