package dev.hearth.node.session;

import dev.hearth.node.api.RunStatus;
import dev.hearth.protocol.wire.LeaderboardEntry;
import dev.hearth.protocol.wire.ValidationPoint;
import java.util.ArrayList;
import java.util.List;

/// Converts the coordinator's RunStatus message into the front-end view (with this node's rank).
final class RunStatusViews {

    private RunStatusViews() {}

    static RunStatus toApi(dev.hearth.protocol.wire.RunStatus s, String myNodeId) {
        List<double[]> validation = new ArrayList<>();
        for (ValidationPoint p : s.getValidationList()) validation.add(new double[] {p.getRound(), p.getLoss()});
        List<LeaderboardEntry> board = new ArrayList<>(s.getLeaderboardList());
        board.sort((a, b) -> Double.compare(b.getCredits(), a.getCredits()));
        int rank = 0;
        double credits = 0;
        int ranked = 0;
        for (LeaderboardEntry e : board) {
            if (e.getCredits() <= 0) continue;
            ranked++;
            if (e.getNodeId().equals(myNodeId)) {
                rank = ranked;
                credits = e.getCredits();
            }
        }
        return new RunStatus(s.getRunId(), s.getRound(), s.getNodesOnline(), List.copyOf(s.getLossHistoryList()),
                validation, rank, ranked, credits, s.getSampleText());
    }
}
