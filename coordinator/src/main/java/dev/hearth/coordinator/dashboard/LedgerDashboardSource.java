package dev.hearth.coordinator.dashboard;

import dev.hearth.coordinator.ledger.LeaderboardEntry;
import dev.hearth.coordinator.ledger.Ledger;
import dev.hearth.coordinator.ledger.RoundRow;
import dev.hearth.coordinator.ledger.RunSummary;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/// A {@link DashboardSource} reading totals and history from the {@link Ledger}, with the two live numbers
/// the ledger cannot know (phase, nodes online) supplied by the run.
public final class LedgerDashboardSource implements DashboardSource {

    /// 500 rounds of history: enough to see a loss curve's shape, small enough (~50 KB of JSON) to poll.
    public static final int HISTORY_ROUNDS = 500;

    private final Ledger ledger;
    private final long totalRounds;
    private final Supplier<String> phase;
    private final IntSupplier nodesOnline;
    private final Clock clock;
    private final Supplier<String> fault;

    public LedgerDashboardSource(Ledger ledger, long totalRounds, Supplier<String> phase, IntSupplier nodesOnline,
                                 Clock clock) {
        this(ledger, totalRounds, phase, nodesOnline, clock, () -> null);
    }

    /// @param fault why the run is not advancing (the model's health), or null when it is
    public LedgerDashboardSource(Ledger ledger, long totalRounds, Supplier<String> phase, IntSupplier nodesOnline,
                                 Clock clock, Supplier<String> fault) {
        this.fault = fault;
        this.ledger = ledger;
        this.totalRounds = totalRounds;
        this.phase = phase;
        this.nodesOnline = nodesOnline;
        this.clock = clock;
    }

    @Override
    public DashboardStatus status() {
        RunSummary s = ledger.summary();
        var points = new ArrayList<DashboardStatus.RoundPoint>();
        for (RoundRow r : ledger.recentRounds(HISTORY_ROUNDS)) {
            if (!"COMMITTED".equals(r.status())) {
                continue;
            }
            points.add(new DashboardStatus.RoundPoint(r.round(), r.version(), orNull(r.meanLoss()), orNull(r.valLoss()),
                    r.duration().toMillis(), r.tokens(), r.accepted(), r.rejected()));
        }
        return new DashboardStatus(s.runId(), s.name(), phase.get(), s.lastRound(), s.version(), totalRounds,
                nodesOnline.getAsInt(), s.tokens(), s.bytesIn(), s.bytesOut(), points, "", List.of(), clock.millis(), fault.get());
    }

    @Override
    public List<LeaderboardEntry> leaderboard(int limit) {
        return ledger.leaderboard(limit);
    }

    private static Double orNull(double d) {
        return Double.isFinite(d) ? d : null;
    }
}
