package dev.hearth.node.history;

import dev.hearth.node.api.RoundRecord;
import dev.hearth.node.log.EventLog;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;

/// A node stand-in for [HistoryCrashTest]: records rounds as fast as it can and prints
/// "committed N" after each commit, until it is killed.
public final class HistoryWriterChild {
    /// 1,000,000 rounds: never reached in the test's second of writing; just a bound.
    private static final int MAX_ROUNDS = 1_000_000;

    public static void main(String[] args) {
        Clock clock = Clock.systemUTC();
        HistoryStore store = HistoryStore.open(Path.of(args[0]), clock, new EventLog(clock));
        store.startSession(clock.instant());
        Instant base = Instant.parse("2026-11-25T00:00:00Z");
        for (int i = 0; i < MAX_ROUNDS; i++) {
            store.recordRound(new RoundRecord("crash-run", i, base.plusSeconds(i), 1000, 1.0, 100, 200, true, "", 1.0, 2.0));
            System.out.println("committed " + i);
            System.out.flush();
        }
    }
}
