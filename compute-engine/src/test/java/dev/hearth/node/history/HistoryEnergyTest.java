package dev.hearth.node.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.ContributionHistory.DailyTotal;
import dev.hearth.node.api.ContributionHistory.Totals;
import dev.hearth.node.api.EnergySource;
import dev.hearth.node.api.RoundEnergy;
import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.api.Tariff;
import dev.hearth.node.log.EventLog;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/// Energy in the contribution history: migration V3, per round, per day, totals and the CSV.
class HistoryEnergyTest {

    private static final Instant NOW = Instant.parse("2026-12-01T18:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir Path dir;

    private static RoundRecord round(long n, Instant at, RoundEnergy e) {
        return new RoundRecord("nano-1", n, at, 1000, 2.5, 40_000, 100_000, true, "", 1.5, 3.25, e);
    }

    @Test
    void migratingAVersion2HistoryKeepsItsRoundsWithoutAnEnergyFigure() throws Exception {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve(HistoryStore.FILE_NAME));
        Flyway.configure(HistoryStore.class.getClassLoader()).dataSource(ds)
                .locations("classpath:dev/hearth/node/history/migration").target("2").load().migrate();
        try (var c = ds.getConnection(); var st = c.createStatement()) {
            st.executeUpdate("""
                    INSERT INTO round_record (run, round, finished_at, tokens, compute_seconds, bytes_up, bytes_down,
                                              accepted, credits) VALUES ('nano-1', 7, 1764590400000, 512, 3.0, 10, 20, 1, 2.0)""");
        }
        try (HistoryStore store = HistoryStore.open(dir, CLOCK, new EventLog(CLOCK))) {
            RoundRecord old = store.rounds(10, 0).getFirst();
            assertEquals(7, old.round());
            assertNull(old.energy());
            store.recordRound(round(8, NOW.minusSeconds(60), new RoundEnergy(36_000, EnergySource.RAPL)));
            Totals t = store.totals();
            assertEquals(36_000, t.energyJoules(), 1e-9);
            assertFalse(t.energyEstimated());
        }
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(HistoryStore.FILE_NAME));
             var st = c.createStatement();
             var rs = st.executeQuery("SELECT MAX(version) FROM flyway_schema_history")) {
            rs.next();
            assertEquals("3", rs.getString(1));
        }
    }

    @Test
    void aRoundKeepsItsEnergyAndItsSource() {
        try (HistoryStore store = HistoryStore.open(dir, CLOCK, new EventLog(CLOCK))) {
            store.recordRound(round(1, NOW.minusSeconds(600), new RoundEnergy(1_500, EnergySource.NVML)));
            store.recordRound(round(2, NOW.minusSeconds(300), new RoundEnergy(450, EnergySource.ESTIMATE)));
            List<RoundRecord> rounds = store.rounds(10, 0);
            assertEquals(new RoundEnergy(450, EnergySource.ESTIMATE), rounds.get(0).energy());
            assertEquals(new RoundEnergy(1_500, EnergySource.NVML), rounds.get(1).energy());
        }
    }

    @Test
    void recordingTheCommitWithoutAFigureKeepsTheUploadsFigure() {
        try (HistoryStore store = HistoryStore.open(dir, CLOCK, new EventLog(CLOCK))) {
            store.recordRound(round(1, NOW.minusSeconds(600), new RoundEnergy(1_500, EnergySource.RAPL)));
            store.recordRound(round(1, NOW.minusSeconds(590), null));
            assertEquals(new RoundEnergy(1_500, EnergySource.RAPL), store.rounds(10, 0).getFirst().energy());
        }
    }

    @Test
    void perDaySumsEnergyAndMarksDaysWithAnEstimate() {
        try (HistoryStore store = HistoryStore.open(dir, CLOCK, new EventLog(CLOCK))) {
            store.recordRound(round(1, NOW.minusSeconds(86_400), new RoundEnergy(3_600, EnergySource.RAPL)));
            store.recordRound(round(2, NOW.minusSeconds(600), new RoundEnergy(7_200, EnergySource.RAPL)));
            store.recordRound(round(3, NOW.minusSeconds(300), new RoundEnergy(1_800, EnergySource.ESTIMATE)));
            List<DailyTotal> days = store.perDay(2, ZoneOffset.UTC);
            assertEquals(3_600, days.get(0).energyJoules(), 1e-9);
            assertFalse(days.get(0).energyEstimated());
            assertEquals(9_000, days.get(1).energyJoules(), 1e-9);
            assertTrue(days.get(1).energyEstimated());
            assertTrue(store.totals().energyEstimated());
        }
    }

    @Test
    void csvStatesKwhSourceAndCostInTheOwnersCurrency() throws Exception {
        try (HistoryStore store = HistoryStore.open(dir, CLOCK, new EventLog(CLOCK))) {
            store.recordRound(round(1, Instant.parse("2026-12-01T10:00:00Z"), new RoundEnergy(36_000, EnergySource.ESTIMATE)));
            store.recordRound(round(2, Instant.parse("2026-12-01T11:00:00Z"), null));
            StringWriter out = new StringWriter();
            store.exportCsv(out, new Tariff(0.30, "EUR"));
            String[] lines = out.toString().split("\r\n");
            assertTrue(lines[0].endsWith(",local_loss,energy_kwh,energy_source,cost,currency"), lines[0]);
            assertTrue(lines[1].endsWith(",3.25,0.01,estimate,0.003,EUR"), lines[1]); // 36 kJ = 0.01 kWh × 0.30 EUR
            assertTrue(lines[2].endsWith(",3.25,,,,"), lines[2]);
        }
    }
}
