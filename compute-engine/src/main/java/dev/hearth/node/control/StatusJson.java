package dev.hearth.node.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.node.api.ContributionHistory;
import dev.hearth.node.api.NodeSnapshot;

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
}
