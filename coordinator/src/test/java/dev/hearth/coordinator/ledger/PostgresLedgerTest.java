package dev.hearth.coordinator.ledger;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeEach;

/// Every [LedgerTest] again on a real PostgreSQL server ([PostgresServer]: Debian's binaries, a throwaway data
/// directory, a loopback port), each test in a fresh database: the same schema through the PostgreSQL migrations,
/// the same queries, the same answers; the restart test reopens through a new connection pool and loses nothing.
/// Skipped, saying why, where PostgreSQL is not installed.
class PostgresLedgerTest extends LedgerTest {

    private String url;

    @BeforeEach
    void database() {
        PostgresServer server = PostgresServer.shared();
        assumeTrue(server != null, () -> "PostgreSQL tests skipped: " + PostgresServer.whyUnavailable());
        url = server.newDatabase();
    }

    @Override
    Ledger reopen() {
        return Ledger.open(url, "hearth", null);
    }

    @Override
    String expectedDurability() {
        return "postgresql fsync=on, synchronous_commit=on";
    }
}
