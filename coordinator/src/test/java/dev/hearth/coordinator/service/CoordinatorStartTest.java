package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.ConfigException;
import dev.hearth.coordinator.config.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorStartTest {

    @Test
    void aGpt2SmallRunIsRefusedBeforeAnythingIsWrittenBecauseItsCommitCannotFitARoundCommit(@TempDir Path dir) {
        for (String outer : new String[] {"mean", "sign"}) {
            Path data = dir.resolve(outer);
            String localSteps = outer.equals("sign") ? "local_steps = 1\nouter_lr = 0\n" : "";
            RunConfig config = RunConfig.parse("[model]\nname = \"gpt2-small\"\n[optimizer]\nouter = \"" + outer
                    + "\"\n" + localSteps + "[data]\nsequences_per_node = 8\n[server]\ndata_dir = \""
                    + data.toString().replace("\\", "/") + "\"\n", "run.toml", Map.of());
            var e = assertThrows(ConfigException.class, () -> CoordinatorService.start(config, Clock.systemUTC()));
            assertTrue(e.getMessage().startsWith("model gpt2-small with demo.block 64: a round's step can take"),
                    e.getMessage());
            // the sign step's 2-bit commit of 86M parameters (21.6 MB) does not fit either, so it is not suggested
            assertFalse(e.getMessage().contains("optimizer.outer = \"sign\""), e.getMessage());
            assertFalse(Files.exists(data), "nothing written for a refused run");
        }
    }
}
