package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.ProcessFaultScenario;
import dev.hearth.coordinator.bench.ProcessFaultScenario.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 8, faults with real processes: `kill -9` of nodes and of the coordinator while rounds are open; the run
/// finishes, resumes exactly at its last committed version, and the ledger shows no batch lost or committed twice.
class ProcessFaultsTest {

    @Test
    void nodesAndTheCoordinatorKilledMidRoundLoseNothing(@TempDir Path dir) throws Exception {
        check(ProcessFaultScenario.run(new ProcessFaultScenario.Shape(3, 3, 1, 4), dir, Duration.ofMinutes(4)), 3, 1);
    }

    @Test
    @Tag("slow")
    void aHundredNodeKillsLoseNothing(@TempDir Path dir) throws Exception {
        check(ProcessFaultScenario.run(new ProcessFaultScenario.Shape(4, 100, 2, 5), dir, Duration.ofMinutes(40)), 100, 2);
    }

    static void check(Outcome o, int kills, int restarts) {
        System.out.println(o);
        assertTrue(o.finished(), "the run reached its last round: " + o);
        assertEquals(kills, o.nodeKills(), "every planned node kill happened: " + o);
        assertEquals(restarts, o.restarts().size(), "every planned coordinator restart happened: " + o);
        for (var r : o.restarts()) {
            assertTrue(r.resumedFrom() == r.lastLoggedCommit() || r.resumedFrom() == r.lastLoggedCommit() + 1,
                    "the coordinator resumed at its last committed version: " + r);
        }
        assertEquals(0, o.batchesLost(), "no batch lost: " + o);
        assertEquals(0, o.duplicates(), "no batch committed twice: " + o);
        assertTrue(o.auditProblems().isEmpty(), "ledger audit clean: " + o.auditProblems());
        assertTrue(o.coordinatorStackTraces().isEmpty(), "no stack trace in the coordinator's logs: " + o);
        assertTrue(o.nodeDatabases().stream().allMatch(s -> s.endsWith(": ok")),
                "every node's history database is intact after its kills: " + o.nodeDatabases());
    }
}
