package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.HostileUploadScenario;
import dev.hearth.coordinator.bench.HostileUploadScenario.Attack;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 8, bad input: every kind of hostile update, crafted by a client speaking the real protocol, is rejected
/// with its reason in the receipt, and the committed model is exactly the honest updates' outer step.
class HostileUpdatesTest {

    static final Set<String> KINDS = Set.of("second upload in a round", "NaN values", "infinite values", "wrong shape",
            "top-k over the cap", "huge norm", "replayed update", "wrong round", "forged signature");

    @Test
    void everyHostileUpdateIsRejectedWithItsReasonAndTheModelStaysClean(@TempDir Path dir) throws Exception {
        List<Attack> attacks = HostileUploadScenario.run(dir);
        attacks.forEach(a -> System.out.println(a.kind() + ": " + a.summary())); // the bench's line for each
        assertEquals(KINDS, attacks.stream().map(Attack::kind).collect(Collectors.toSet()), "every kind was tried");
        for (Attack a : attacks) {
            assertTrue(a.rejected(), a.kind() + " is rejected: " + a);
            assertTrue(a.reason().toLowerCase().contains(a.expected().toLowerCase()), a.kind() + " names its reason: " + a);
            assertTrue(a.modelClean(), a.kind() + " leaves the model as the honest updates make it: " + a);
            assertEquals(0, a.credits(), a.kind() + " earns nothing: " + a);
            assertTrue(a.finite(), a.kind() + ": the published version is finite: " + a);
            assertEquals(a.kind().equals("huge norm"), a.struck(),
                    a.kind() + (a.kind().equals("huge norm") ? " is a strike (dropped by the norm bound): "
                            : " is rejected on arrival, no strike: ") + a);
        }
    }
}
