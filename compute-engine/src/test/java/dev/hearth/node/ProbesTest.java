package dev.hearth.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.node.api.GpuCheck;
import dev.hearth.node.log.EventLog;
import dev.hearth.node.policy.IdlePolicy;
import dev.hearth.node.policy.OwnerState;
import dev.hearth.node.policy.Readings;
import dev.hearth.node.api.NodeSettings;
import dev.hearth.node.probe.MachineProbes;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ProbesTest {

    @Test
    void realProbesGiveReadingsThePolicyCanUseAndNeverThrow() {
        EventLog log = new EventLog(Clock.systemUTC());
        try (MachineProbes probes = Probes.forThisMachine(log)) {
            Readings r = probes.readings();
            assertNotNull(r.ownerIdle());
            // Whatever this machine lacks, the policy still decides with a readable reason.
            var d = IdlePolicy.decide(r, NodeSettings.defaults(), OwnerState.AUTO, Instant.now());
            assertFalse(d.reason().isBlank());
            GpuCheck c = probes.gpuCheck();
            assertSame(c, probes.gpuCheck(), "computed once");
            probes.setWorkerPid(ProcessHandle.current().pid());
            probes.setWorkerPid(-1);
            assertNotNull(probes.hardware());
            assertTrue(log.recent().stream().anyMatch(e -> e.message().startsWith("machine: idle: ")),
                    "the start-up line says what each probe sees");
        }
    }
}
