package dev.hearth.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.node.StatusFile;
import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.api.EnergyText;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.Tariff;
import dev.hearth.node.settings.SettingsStore;
import dev.hearth.node.control.ControlClient;
import dev.hearth.node.control.StatusJson;
import dev.hearth.node.history.HistoryStore;
import dev.hearth.node.log.EventLog;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.Optional;
import java.util.Properties;

/// `./hearth status [--json]`: asks the running node over its control API when one runs; otherwise
/// reads what the last node left (its status file, and the history database opened read-only).
/// Status never writes: opening the history for writing would run its crash recovery and close the
/// running node's session as "node stopped unexpectedly".
final class StatusCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StatusCommand() {}

    static int print(Path dataDir, PrintStream out, PrintStream err) {
        return print(dataDir, false, out, err);
    }

    static int print(Path dataDir, boolean json, PrintStream out, PrintStream err) {
        if (!Files.isDirectory(dataDir)) {
            if (json) out.println("{\"running\":false}");
            else out.println("No Hearth node has run with data in " + dataDir + " yet.");
            return 0;
        }
        try {
            Optional<JsonNode> live = live(dataDir, err);
            if (live.isPresent()) {
                if (json) out.println(JSON.writeValueAsString(live.get()));
                else printLive(live.get(), out);
                return 0;
            }
            History h = readHistory(dataDir);
            ContributionHistory.Totals totals = h == null ? null : h.totals();
            // what the next node here will use: the saved settings, or the defaults a missing or bad file gives
            NodeSettings settings = SettingsStore.peek(dataDir).orElse(NodeSettings.defaults());
            Tariff tariff = settings.energy().tariff();
            int machineCores = Runtime.getRuntime().availableProcessors();
            Properties p = StatusFile.read(dataDir);
            if (json) {
                ObjectNode o = StatusJson.withEnergy(StatusJson.of(false, 0, null, null, totals), totals,
                        h == null ? null : h.today(), tariff);
                StatusJson.withCpuLimit(o, settings, machineCores);
                if (p != null) {
                    o.put("lastSeen", p.getProperty("at"));
                    o.put("line", p.getProperty("headline"));
                    o.put("state", p.getProperty("state"));
                }
                out.println(JSON.writeValueAsString(o));
                return 0;
            }
            if (p == null) {
                out.println("State:   never started here");
            } else {
                long pid = Long.parseLong(p.getProperty("pid", "-1"));
                boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (alive) {
                    // a node from before the control API, or one whose API could not start
                    out.println("State:   " + p.getProperty("headline") + " (" + p.getProperty("state") + ", pid " + pid + ")");
                    String reason = p.getProperty("reason", "");
                    if (!reason.isBlank() && !reason.equals(p.getProperty("headline"))) out.println("Reason:  " + reason);
                    out.println("Run:     " + p.getProperty("run") + " via " + p.getProperty("coordinator"));
                    out.println("Backend: " + p.getProperty("backend"));
                } else {
                    out.println("State:   not running (last seen " + p.getProperty("at") + ": " + p.getProperty("headline") + ")");
                }
            }
            out.println(StatusJson.cpuLimitLine(settings, machineCores));
            out.println(totals == null ? "Totals:  no rounds recorded yet" : totalsLine(totals));
            if (totals != null) out.println(EnergyText.statusLine(totals, h.today(), tariff));
            return 0;
        } catch (Exception e) {
            err.println("hearth status: " + e.getMessage());
            return 1;
        }
    }

    private static Optional<JsonNode> live(Path dataDir, PrintStream err) {
        try {
            Optional<ControlClient> client = ControlClient.find(dataDir);
            if (client.isEmpty()) return Optional.empty();
            return Optional.of(client.get().status());
        } catch (IOException e) {
            return Optional.empty(); // not answering: fall back to the files
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static void printLive(JsonNode s, PrintStream out) {
        out.println("State:   " + s.path("line").asText() + " (" + s.path("state").asText() + ", pid " + s.path("pid").asLong() + ")");
        if (!s.path("run").asText().isBlank()) out.println("Run:     " + s.path("run").asText() + " via " + s.path("coordinator").asText());
        if (!s.path("backend").asText().isBlank()) out.println("Backend: " + s.path("backend").asText());
        if (s.path("cpuLimit").path("line").isTextual()) out.println(s.path("cpuLimit").path("line").asText());
        JsonNode t = s.path("totals");
        if (t.isObject()) {
            out.println(totalsLine(new ContributionHistory.Totals(t.path("tokens").asLong(), t.path("computeSeconds").asDouble(),
                    t.path("roundsAccepted").asInt(), t.path("roundsRejected").asInt(), t.path("credits").asDouble(),
                    t.path("bytesUp").asLong(), t.path("bytesDown").asLong())));
        }
        JsonNode e = s.path("energy");
        if (e.path("line").isTextual()) out.println(e.path("line").asText());
    }

    static String totalsLine(ContributionHistory.Totals t) {
        return String.format(java.util.Locale.ROOT, "Totals:  %d tokens trained, %.2f compute hours, %d rounds accepted, %d rejected, "
                        + "%s credits, %s sent, %s received (sizes in binary units: 1 KiB = 1024 bytes)",
                t.tokens(), t.computeSeconds() / 3600, t.roundsAccepted(), t.roundsRejected(), dev.hearth.node.api.Units.credits(t.credits()),
                NodeMain.human(t.bytesUp()), NodeMain.human(t.bytesDown()));
    }

    /// The history's totals and today's total, read once.
    private record History(ContributionHistory.Totals totals, ContributionHistory.DailyTotal today) {}

    /// @return null when no history has been written here yet
    private static History readHistory(Path dataDir) {
        var opened = HistoryStore.openReadOnly(dataDir, Clock.systemDefaultZone(), new EventLog(Clock.systemUTC()));
        if (opened.isEmpty()) return null;
        try (HistoryStore h = opened.get()) {
            return new History(h.totals(), h.perDay(1, ZoneId.systemDefault()).getFirst());
        }
    }
}
