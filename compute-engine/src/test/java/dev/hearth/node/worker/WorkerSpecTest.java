package dev.hearth.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.SignStep;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.recipe.RobustAggregation;
import dev.hearth.engine.recipe.RunRecipe;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/// The worker's command line: what the node writes is what the child reads, the device choice included; the run's
/// part of the spec comes from the recipe the node was sent.
class WorkerSpecTest {

    static final ModelConfig NANO = ModelConfig.nano();
    static final DemoConfig DEMO = new DemoConfig(0.999f, 64, 32, ValueEncoding.SIGN_1BIT);
    static final Path STATE = Path.of("/tmp/state");

    static RunRecipe recipe(dev.hearth.engine.demo.OuterRule outer, DemoConfig demo) {
        return new RunRecipe(NANO, 100, 1, 64, demo, outer, 1e-3, 1e-4, 3, RobustAggregation.MEAN,
                RunRecipe.DataIdentity.NOT_READ);
    }

    @Test
    void theRunsPartOfTheSpecIsTheRecipesModelDemoAndOuterRule() {
        var mean = WorkerSpec.forRun(recipe(new MeanStep(8, 1.5, 0.1), DEMO), "bundled", 8, STATE, "cpu", 2, 50);
        assertEquals(new WorkerSpec(NANO, DEMO, "bundled", 8, STATE, 8, 0.1f, "cpu", 2, 50), mean);
        var fp16 = DEMO.withEncoding(ValueEncoding.FP16);
        var sign = WorkerSpec.forRun(recipe(new SignStep(0.1), fp16), "bundled", 8, STATE, "auto", 1, 100);
        assertEquals(0, sign.localSteps(), "the sign step: one gradient, no inner optimizer");
        assertEquals(0f, sign.weightDecay(), "its decay is the outer step's, not the trainer's");
        assertEquals(fp16, sign.demo());
    }

    @Test
    void theSpecComesBackFromItsCommandLineWithEveryEncoding() {
        for (ValueEncoding encoding : ValueEncoding.values()) {
            var spec = new WorkerSpec(NANO, DEMO.withEncoding(encoding), "bundled", 8, STATE, 2, 0.1f, "cpu", 3, 40);
            List<String> args = spec.toArgs();
            assertEquals(encoding.configName(), args.get(args.indexOf("--encoding") + 1));
            assertEquals(spec, WorkerSpec.fromArgs(args.toArray(String[]::new)));
        }
    }

    @Test
    void anUnknownEncodingOnTheCommandLineIsRefusedByName() {
        List<String> args = new java.util.ArrayList<>(new WorkerSpec(NANO, DEMO, "bundled", 8, STATE).toArgs());
        args.set(args.indexOf("--encoding") + 1, "SIGN_1BIT");
        var e = assertThrows(IllegalArgumentException.class, () -> WorkerSpec.fromArgs(args.toArray(String[]::new)));
        assertEquals("value encoding must be one of sign, fp16, got 'SIGN_1BIT'", e.getMessage());
    }

    @Test
    void theDeviceTravelsOnTheCommandLine() {
        for (String device : new String[] {"auto", "cpu", "1"}) {
            var spec = new WorkerSpec(NANO, DEMO, "bundled", 8, STATE, 2, 0.1f, device);
            assertEquals(spec, WorkerSpec.fromArgs(spec.toArgs().toArray(String[]::new)));
            assertEquals(device, spec.device());
        }
        var old = new WorkerSpec(NANO, DEMO, "bundled", 8, STATE);
        assertEquals("auto", old.device(), "a spec without a device trains where auto chooses");
    }

    @Test
    void aBadDeviceFailsInTheNodeByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> new WorkerSpec(NANO, DEMO, "bundled", 8, STATE, 0, 0f,
                "gpu"));
        assertEquals("device 'gpu': expected auto, cpu or a GPU index (0, 1, ...)", e.getMessage());
    }

    @Test
    void theCpuLimitTravelsOnTheCommandLineSoAChangedLimitIsANewSpec() {
        var limited = new WorkerSpec(NANO, DEMO, "bundled", 8, STATE, 0, 0f, "cpu", 1, 50);
        var back = WorkerSpec.fromArgs(limited.toArgs().toArray(String[]::new));
        assertEquals(limited, back);
        assertEquals(1, back.cpuThreads());
        assertEquals(50, back.cpuPercent());
        var unlimited = new WorkerSpec(NANO, DEMO, "bundled", 8, STATE, 0, 0f, "cpu");
        assertEquals(100, unlimited.cpuPercent());
        // the node replaces its worker when the spec differs: a new limit restarts the trainer for the next round
        assertNotEquals(unlimited, limited);
        var e = assertThrows(IllegalArgumentException.class, () -> new WorkerSpec(NANO, DEMO, "bundled", 8, STATE, 0, 0f,
                "cpu", 1, 0));
        assertEquals("CPU percentage must be in [1, 100], got 0", e.getMessage());
    }
}
