package dev.hearth.coordinator.service;

import dev.hearth.coordinator.ledger.LeaderboardEntry;
import dev.hearth.protocol.wire.RunStatus;
import dev.hearth.protocol.wire.ValidationPoint;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/// The live numbers of a run that status replies and the dashboard show: loss and validation history,
/// per-round durations, traffic. Thread-safe (written by the run thread, read by HTTP threads).
public final class RunStats {

    /// One committed version.
    public record Point(long version, double meanLoss, double valLoss, long tokens, long durationMillis) {}

    private final int capacity;
    private final ArrayDeque<Point> points = new ArrayDeque<>();
    private long tokensTotal;
    private long bytesIn;
    private long bytesOut;
    private volatile String sample = "";

    RunStats(int capacity) {
        this.capacity = capacity;
    }

    synchronized void committed(long version, double meanLoss, double valLoss, long tokens, Duration duration) {
        points.addLast(new Point(version, meanLoss, valLoss, tokens, duration.toMillis()));
        while (points.size() > capacity) points.removeFirst();
        tokensTotal += tokens;
    }

    /// Seeds the history from the ledger's committed rounds (newest first, as the ledger returns them).
    synchronized void restore(java.util.List<dev.hearth.coordinator.ledger.RoundRow> rows) {
        points.clear();
        tokensTotal = 0;
        for (int i = rows.size() - 1; i >= 0; i--) {
            var r = rows.get(i);
            if (!"COMMITTED".equals(r.status())) continue;
            committed(r.version(), r.meanLoss(), r.valLoss(), r.tokens(), r.duration());
        }
    }

    synchronized void bytesIn(long n) {
        bytesIn += n;
    }

    synchronized void bytesOut(long n) {
        bytesOut += n;
    }

    void sample(String text) {
        sample = text;
    }

    public String sample() {
        return sample;
    }

    public synchronized List<Point> points() {
        return new ArrayList<>(points);
    }

    public synchronized long tokensTotal() {
        return tokensTotal;
    }

    public synchronized long bytesIn() {
        return bytesIn;
    }

    public synchronized long bytesOut() {
        return bytesOut;
    }

    synchronized RunStatus toWire(String runId, long round, int nodesOnline, List<LeaderboardEntry> board) {
        RunStatus.Builder b = RunStatus.newBuilder().setRunId(runId).setRound(round).setNodesOnline(nodesOnline)
                .setTokensTotal(tokensTotal).setSampleText(sample);
        for (Point p : points) {
            if (!Double.isNaN(p.meanLoss())) b.addLossHistory(p.meanLoss());
            if (!Double.isNaN(p.valLoss())) b.addValidation(ValidationPoint.newBuilder().setRound(p.version()).setLoss(p.valLoss()));
        }
        for (LeaderboardEntry e : board) {
            b.addLeaderboard(dev.hearth.protocol.wire.LeaderboardEntry.newBuilder().setNodeId(e.nodeId()).setCredits(e.credits()));
        }
        return b.build();
    }
}
