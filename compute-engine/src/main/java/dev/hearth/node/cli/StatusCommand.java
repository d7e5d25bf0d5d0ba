package dev.hearth.node.cli;

import dev.hearth.node.StatusFile;
import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.history.HistoryStore;
import dev.hearth.node.log.EventLog;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Properties;

/// `./hearth status`: the node's state and reason (from the running node's status file) and the
/// contribution totals (from the history database, opened read-only: status never writes).
final class StatusCommand {

    private StatusCommand() {}

    static int print(Path dataDir, PrintStream out, PrintStream err) {
        if (!Files.isDirectory(dataDir)) {
            out.println("No Hearth node has run with data in " + dataDir + " yet.");
            return 0;
        }
        try {
            Properties p = StatusFile.read(dataDir);
            if (p == null) {
                out.println("State:   never started here");
            } else {
                long pid = Long.parseLong(p.getProperty("pid", "-1"));
                boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (alive) {
                    out.println("State:   " + p.getProperty("headline") + " (" + p.getProperty("state") + ", pid " + pid + ")");
                    String reason = p.getProperty("reason", "");
                    if (!reason.isBlank() && !reason.equals(p.getProperty("headline"))) out.println("Reason:  " + reason);
                    out.println("Run:     " + p.getProperty("run") + " via " + p.getProperty("coordinator"));
                    out.println("Backend: " + p.getProperty("backend"));
                } else {
                    out.println("State:   not running (last seen " + p.getProperty("at") + ": " + p.getProperty("headline") + ")");
                }
            }
            // Read-only: opening the store for writing would run its crash recovery and close the running
            // node's session as "node stopped unexpectedly".
            var opened = HistoryStore.openReadOnly(dataDir, Clock.systemUTC(), new EventLog(Clock.systemUTC()));
            if (opened.isEmpty()) {
                out.println("Totals:  no rounds recorded yet");
                return 0;
            }
            try (HistoryStore h = opened.get()) {
                ContributionHistory.Totals t = h.totals();
                out.printf("Totals:  %d tokens trained, %.2f compute hours, %d rounds accepted, %d rejected, "
                                + "%.0f credits, %s sent, %s received%n",
                        t.tokens(), t.computeSeconds() / 3600, t.roundsAccepted(), t.roundsRejected(), t.credits(),
                        NodeMain.human(t.bytesUp()), NodeMain.human(t.bytesDown()));
            }
            return 0;
        } catch (Exception e) {
            err.println("hearth status: " + e.getMessage());
            return 1;
        }
    }
}
