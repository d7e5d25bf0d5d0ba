package dev.hearth.node.net;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Objects;

/// The owner's cap on bytes moved (up + down) per local day. The count lives in a [VolumeLedger]
/// (the history database), so restarting the node does not reset it; it starts again at the owner's
/// local midnight — in the machine's zone, not the clock's (the node's clock is usually UTC).
///
/// Call [#record] once per transfer (an update upload, a checkpoint chunk), not per packet: each call
/// is a durable write. Thread-safe.
public final class DailyVolumeCap {

    private final VolumeLedger ledger;
    private final Clock clock;
    private final ZoneId zone;
    private long capBytes;
    private LocalDate cachedDay;
    private long cachedUsed;

    /// Days in the machine's time zone.
    /// @param capBytes 0 = no cap
    public DailyVolumeCap(VolumeLedger ledger, Clock clock, long capBytes) {
        this(ledger, clock, ZoneId.systemDefault(), capBytes);
    }

    /// @param zone     where "today" and "midnight" are
    /// @param capBytes 0 = no cap
    public DailyVolumeCap(VolumeLedger ledger, Clock clock, ZoneId zone, long capBytes) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.zone = Objects.requireNonNull(zone, "zone");
        setCap(capBytes);
    }

    public synchronized void setCap(long capBytes) {
        if (capBytes < 0) throw new IllegalArgumentException("daily cap must be 0 (no cap) or positive, got " + capBytes + " bytes");
        this.capBytes = capBytes;
    }

    public synchronized long cap() {
        return capBytes;
    }

    /// Counts a finished transfer against today.
    public synchronized void record(long bytesUp, long bytesDown) {
        if (bytesUp < 0 || bytesDown < 0) throw new IllegalArgumentException("byte counts must not be negative");
        LocalDate today = today();
        refresh(today); // before the add, or the fresh read would include these bytes twice
        ledger.add(today, bytesUp, bytesDown);
        cachedUsed += bytesUp + bytesDown;
    }

    /// Bytes moved today (local day).
    public synchronized long usedToday() {
        refresh(today());
        return cachedUsed;
    }

    /// Bytes left today; [Long#MAX_VALUE] without a cap.
    public synchronized long remainingToday() {
        if (capBytes == 0) return Long.MAX_VALUE;
        return Math.max(0, capBytes - usedToday());
    }

    /// Whether a transfer of `bytes` fits in what is left today.
    public synchronized boolean allows(long bytes) {
        return capBytes == 0 || bytes <= remainingToday();
    }

    /// Whether today's cap is used up.
    public synchronized boolean exhausted() {
        return capBytes != 0 && remainingToday() == 0;
    }

    /// The next local midnight, when the count starts again.
    public Instant resetsAt() {
        return today().plusDays(1).atStartOfDay(zone).toInstant();
    }

    /// For the app: "312 MiB of 1.0 GiB used today" or "Daily network cap reached (1.0 GiB); resumes at midnight".
    public synchronized String describe() {
        long used = usedToday();
        if (capBytes == 0) return human(used) + " used today (no cap)";
        if (used >= capBytes) return "Daily network cap reached (" + human(capBytes) + "); resumes at midnight";
        return human(used) + " of " + human(capBytes) + " used today";
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), zone);
    }

    private void refresh(LocalDate today) {
        if (!today.equals(cachedDay)) {
            cachedDay = today;
            cachedUsed = ledger.bytesOn(today);
        }
    }

    /// Binary units with IEC symbols, as everywhere in Hearth ([dev.hearth.node.api.Units]); the cap is set in MiB.
    static String human(long bytes) {
        return dev.hearth.node.api.Units.bytes(bytes);
    }
}
