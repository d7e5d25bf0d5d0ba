package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.engine.demo.DemoBlocking;
import dev.hearth.engine.model.ParameterLayout;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CoordinatorStartTest {

    /// gpt2-small's round commit (the sign step's 2 bits for each of its parameters, 21.6 MB; the mean step's worst
    /// case more) exceeds the 16 MiB RoundCommit frame: the run is no longer refused, its commits are handed out by
    /// reference to storage instead (checked without starting it: its parameters alone are half a gigabyte).
    @Test
    void aGpt2SmallRunIsAcceptedWithItsCommitsHandedOutFromStorageBecauseTheyExceedARoundCommitFrame() {
        for (String outer : new String[] {"mean", "sign"}) {
            String localSteps = outer.equals("sign") ? "local_steps = 1\nouter_lr = 0\n" : "";
            RunConfig config = RunConfig.parse("[model]\nname = \"gpt2-small\"\n[optimizer]\nouter = \"" + outer
                    + "\"\n" + localSteps + "[data]\nsequences_per_node = 8\n", "run.toml", Map.of());
            var recipe = config.recipe();
            var blocking = recipe.blocking(ParameterLayout.gpt(recipe.model()));
            long worst = CoordinatorService.worstCommitBytes(recipe, recipe.outer(), blocking);
            assertTrue(worst > CoordinatorService.MAX_STEP_BYTES, outer + ": " + worst + " bytes, more than a frame");
            assertTrue(worst <= CoordinatorService.MAX_STORED_STEP_BYTES, outer + ": " + worst + " bytes, within storage's cap");
        }
    }
}
