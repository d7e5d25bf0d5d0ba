package dev.hearth.coordinator.ledger;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/// A real PostgreSQL server for tests: Debian's binaries (`/usr/lib/postgresql/<v>/bin`, the `postgresql` package
/// that `.ci/run` installs), a throwaway data directory, trust authentication on 127.0.0.1 and a free port. Started
/// once per JVM on first use and stopped at exit; each test takes a fresh database ([#newDatabase]).
///
/// PostgreSQL refuses to run as root; under root (a CI container) the server runs as the `postgres` user through
/// `runuser`. Without the binaries [#available] is false and says why, and the tests that need it are skipped.
public final class PostgresServer {

    /// Versions looked for, newest first (Debian 12 ships 15).
    private static final List<String> VERSIONS = List.of("17", "16", "15", "14", "13");
    /// 60 s: initdb + start take ~3 s here; more means something is wrong, and the test says so.
    private static final long START_TIMEOUT_SECONDS = 60;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private static PostgresServer instance;
    private static String unavailable;

    private final Path dir;
    private final Path bin;
    private final int port;
    private final boolean asPostgresUser;

    private PostgresServer(Path dir, Path bin, int port, boolean asPostgresUser) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    /// The shared server, started on first call; null when it cannot run here ([#whyUnavailable] says why).
    public static synchronized PostgresServer shared() {
        if (instance != null || unavailable != null) return instance;
        Path bin = VERSIONS.stream().map(v -> Path.of("/usr/lib/postgresql", v, "bin"))
                .filter(p -> Files.isExecutable(p.resolve("initdb")) && Files.isExecutable(p.resolve("pg_ctl")))
                .findFirst().orElse(null);
        if (bin == null) {
            unavailable = "no PostgreSQL binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)";
            return null;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            Path dir = Files.createTempDirectory("hearth-pg-");
            if (root) {
                run(List.of("chown", "postgres", dir.toString()), dir, false);
            }
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            PostgresServer pg = new PostgresServer(dir, bin, port, root);
            pg.start();
            Runtime.getRuntime().addShutdownHook(new Thread(pg::stop, "hearth-pg-stop"));
            instance = pg;
        } catch (IOException | RuntimeException e) {
            unavailable = "PostgreSQL could not be started here: " + e.getMessage();
        }
        return instance;
    }

    public static synchronized String whyUnavailable() {
        return unavailable;
    }

    private void start() throws IOException {
        Path data = dir.resolve("data");
        pg(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "hearth", "--auth=trust",
                "-E", "UTF8", "--no-sync"));
        pg(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(),
                "-w", "-t", Long.toString(START_TIMEOUT_SECONDS), "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir, "start"));
    }

    private void stop() {
        try {
            pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "stop"));
        } catch (IOException | RuntimeException e) {
            // the JVM is exiting: the temp dir goes with the machine's cleanup
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }

    private void pg(List<String> command) throws IOException {
        run(command, dir, asPostgresUser);
    }

    private static void run(List<String> command, Path dir, boolean asPostgresUser) throws IOException {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(START_TIMEOUT_SECONDS + 10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + out.strip());
        }
    }

    public int port() {
        return port;
    }

    /// The JDBC url of the server's `postgres` database (role `hearth`, no password).
    public String adminUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=hearth";
    }

    /// Creates an empty database and returns its url (role `hearth`, no password needed).
    public String newDatabase() {
        String name = "hearth_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (var c = DriverManager.getConnection(adminUrl()); var s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + name;
    }
}
