package dev.hearth.node.net;

import java.time.LocalDate;

/// Where the daily volume cap keeps the bytes moved per local day, so that a restart does not give
/// the node a fresh allowance. The history database implements it; tests use [InMemory].
public interface VolumeLedger {

    /// Bytes up + down recorded for `day` (0 when none).
    long bytesOn(LocalDate day);

    /// Adds to `day`'s count; must be durable when it returns.
    void add(LocalDate day, long bytesUp, long bytesDown);

    /// A ledger that forgets on restart; for tests and for a node without a data dir.
    final class InMemory implements VolumeLedger {
        private final java.util.Map<LocalDate, Long> days = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public long bytesOn(LocalDate day) {
            return days.getOrDefault(day, 0L);
        }

        @Override
        public void add(LocalDate day, long bytesUp, long bytesDown) {
            days.merge(day, bytesUp + bytesDown, Long::sum);
        }
    }
}
