package dev.hearth.node.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.api.EnergyText;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.api.NodeSnapshot;
import dev.hearth.node.api.RoundEnergy;
import dev.hearth.node.api.Tariff;

/// The node's state as the JSON that `hearth status --json` prints and `GET /v1/status` answers:
/// one object, field names stable (scripts read them), sizes in bytes, times ISO-8601 UTC.
public final class StatusJson {

    static final ObjectMapper JSON = new ObjectMapper();

    private StatusJson() {}

    /// @param totals the history's totals, or null when none could be read
    public static ObjectNode of(boolean running, long pid, NodeSnapshot s, String policy, ContributionHistory.Totals totals) {
        ObjectNode o = JSON.createObjectNode();
        o.put("running", running);
        if (pid > 0) o.put("pid", pid);
        if (s != null) {
            o.put("line", s.line());
            o.put("state", s.state().name());
            o.put("headline", s.headline());
            o.put("reason", s.reason());
            o.put("run", s.runName());
            o.put("coordinator", s.coordinator());
            o.put("round", s.round());
            o.put("roundProgress", s.roundProgress());
            o.put("tokensPerSecond", s.tokensPerSecond());
            if (Double.isFinite(s.localLoss())) o.put("localLoss", s.localLoss());
            else o.putNull("localLoss");
            o.put("backend", s.backend());
            o.put("pausedByOwner", s.pausedByOwner());
            if (s.snoozedUntil() != null) o.put("snoozedUntil", s.snoozedUntil().toString());
            else o.putNull("snoozedUntil");
            o.put("pauseAfterRound", s.pauseAfterRound());
            if (s.at() != null) o.put("at", s.at().toString());
        }
        if (policy != null) o.put("policy", policy);
        if (totals != null) {
            ObjectNode t = o.putObject("totals");
            t.put("tokens", totals.tokens());
            t.put("computeSeconds", totals.computeSeconds());
            t.put("roundsAccepted", totals.roundsAccepted());
            t.put("roundsRejected", totals.roundsRejected());
            t.put("credits", totals.credits());
            t.put("bytesUp", totals.bytesUp());
            t.put("bytesDown", totals.bytesDown());
        }
        return o;
    }

    /// Adds `cpuLimit`: the owner's limit on the CPU trainer (`cores`: 0 = every core; `percent` of their time),
    /// the `threads` it gives on this machine of `machineCores`, and `line` in words ("CPU limit: 50 % of 2 cores").
    public static ObjectNode withCpuLimit(ObjectNode o, NodeSettings settings, int machineCores) {
        ObjectNode c = o.putObject("cpuLimit");
        c.put("cores", settings.cpuCores());
        c.put("percent", settings.cpuPercent());
        c.put("threads", settings.cpuThreads(machineCores));
        c.put("machineCores", machineCores);
        c.put("line", cpuLimitLine(settings, machineCores));
        return o;
    }

    /// `hearth status`'s line for the CPU limit.
    public static String cpuLimitLine(NodeSettings settings, int machineCores) {
        return "CPU limit: " + settings.cpuLimitText(machineCores);
    }

    /// Adds `energy`: kWh today and in all (with whether any of it is estimated) and, with a tariff,
    /// the cost in the owner's currency; `line` is the same in words.
    ///
    /// @param today the history's total for today, or null when unknown
    public static ObjectNode withEnergy(ObjectNode o, ContributionHistory.Totals totals, ContributionHistory.DailyTotal today,
                                        Tariff tariff) {
        if (totals == null) return o;
        ObjectNode e = o.putObject("energy");
        double todayJ = today == null ? 0 : today.energyJoules();
        e.put("todayKwh", todayJ / RoundEnergy.JOULES_PER_KWH);
        e.put("todayEstimated", today != null && today.energyEstimated());
        e.put("totalKwh", totals.energyJoules() / RoundEnergy.JOULES_PER_KWH);
        e.put("totalEstimated", totals.energyEstimated());
        if (tariff != null) {
            e.put("currency", tariff.currency());
            e.put("pricePerKwh", tariff.pricePerKwh());
            e.put("todayCost", tariff.cost(todayJ / RoundEnergy.JOULES_PER_KWH));
            e.put("totalCost", tariff.cost(totals.energyJoules() / RoundEnergy.JOULES_PER_KWH));
        }
        e.put("line", EnergyText.statusLine(totals, today, tariff));
        return o;
    }
}
