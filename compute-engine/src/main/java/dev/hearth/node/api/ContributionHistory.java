package dev.hearth.node.api;

import java.io.IOException;
import java.io.Writer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;

/// Read side of the contribution history (SQLite in the data dir).
public interface ContributionHistory {

    Totals totals();

    /// Totals per day in `zone`, oldest first, for the last `days` days (days without rounds included as zero).
    List<DailyTotal> perDay(int days, ZoneId zone);

    /// Totals per ISO week (Monday start) in `zone`, oldest first, for the last `weeks` weeks.
    List<DailyTotal> perWeek(int weeks, ZoneId zone);

    /// Most recent rounds first.
    List<RoundRecord> rounds(int limit, int offset);

    /// Sessions (start, end, why it stopped), most recent first.
    List<SessionRecord> sessions(int limit);

    /// Every round as CSV with a header line.
    void exportCsv(Writer out) throws IOException;

    /// Every round as CSV, with each metered round's cost at `tariff` (null: no cost columns filled).
    default void exportCsv(Writer out, Tariff tariff) throws IOException {
        exportCsv(out);
    }

    /// @param energyJoules   energy of the metered rounds, J
    /// @param energyEstimated whether any of it is an estimate (then say so next to the figure)
    record Totals(long tokens, double computeSeconds, int roundsAccepted, int roundsRejected,
                  double credits, long bytesUp, long bytesDown, double energyJoules, boolean energyEstimated) {

        /// Totals without energy.
        public Totals(long tokens, double computeSeconds, int roundsAccepted, int roundsRejected,
                      double credits, long bytesUp, long bytesDown) {
            this(tokens, computeSeconds, roundsAccepted, roundsRejected, credits, bytesUp, bytesDown, 0, false);
        }
    }

    /// @param start the first day of the period (the day itself, or the Monday of the week)
    /// @param energyJoules    energy of the period's metered rounds, J
    /// @param energyEstimated whether any of it is an estimate
    record DailyTotal(LocalDate start, long tokens, double computeSeconds, double credits, int rounds,
                      double energyJoules, boolean energyEstimated) {

        /// A period without energy.
        public DailyTotal(LocalDate start, long tokens, double computeSeconds, double credits, int rounds) {
            this(start, tokens, computeSeconds, credits, rounds, 0, false);
        }
    }

    /// @param end null while the session runs
    record SessionRecord(long id, Instant start, Instant end, String stopReason) {}
}
