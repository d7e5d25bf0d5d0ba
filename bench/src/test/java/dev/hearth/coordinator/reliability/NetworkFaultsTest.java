package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.NetworkFaultScenario;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 8, network faults: a node process reaching the coordinator through a faulty proxy (latency, slow reader,
/// a cut in the middle of a frame, every connection dropped) reconnects and carries on training each time.
/// About 35 s here.
class NetworkFaultsTest {

    @Test
    void aNodeRecoversFromLatencyASlowReaderACutFrameAndADrop(@TempDir Path dir) throws Exception {
        List<NetworkFaultScenario.Fault> faults = NetworkFaultScenario.run(dir);
        faults.forEach(System.out::println);
        assertEquals(4, faults.size());
        for (var f : faults) assertTrue(f.recovered(), "recovered from " + f);
        assertTrue(faults.get(2).reconnects() >= 1 && faults.get(3).reconnects() >= 1,
                "a cut and a drop make the node reconnect: " + faults);
    }
}
