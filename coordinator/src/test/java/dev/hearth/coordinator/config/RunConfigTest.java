package dev.hearth.coordinator.config;

import dev.hearth.engine.demo.MeanStep;
import dev.hearth.engine.demo.SignStep;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.recipe.RobustAggregation;
import dev.hearth.engine.recipe.RunRecipe;
import dev.hearth.engine.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class RunConfigTest {

    private static final Path EXAMPLE = Path.of("run.example.toml");

    private static ConfigException fails(String toml) {
        return assertThrows(ConfigException.class, () -> RunConfig.parse(toml, "run.toml", Map.of()));
    }

    @Test
    void theExampleFileIsValidAndEqualsTheDefaults() {
        RunConfig example = RunConfig.load(EXAMPLE, Map.of());
        assertEquals(RunConfig.defaults(), example);
    }

    @Test
    void theExampleDocumentsEveryKey() throws Exception {
        String text = Files.readString(EXAMPLE);
        for (String key : RunConfig.allKeys()) {
            String section = key.substring(0, key.indexOf('.'));
            String name = key.substring(key.indexOf('.') + 1);
            assertTrue(text.contains("[" + section + "]"), "section " + section + " in the example");
            assertTrue(text.contains("\n" + name + " = "), "key " + key + " in the example");
        }
    }

    @Test
    void defaultsAreTheLocalDemo() {
        RunConfig c = RunConfig.defaults();
        assertEquals("nano", c.recipe().model().name());
        assertTrue(c.bundledCorpus());
        assertEquals("127.0.0.1", c.bind());
        assertEquals(1, c.minNodes());
        assertEquals(Path.of("hearth-run", "tls"), c.tlsDir());
        assertEquals(Path.of("hearth-run", "ledger.db"), c.ledgerFile());
        var rules = c.rules(1000);
        assertEquals(128, rules.tokensPerSequence(), "a window is the model's context");
        assertEquals(1000, rules.trainWindows());
    }

    @Test
    void readsEverySection() {
        RunConfig c = RunConfig.parse("""
                [run]
                id = "pub-7"
                total_rounds = 5000
                [model]
                name = "small"
                [demo]
                top_k = 64
                encoding = "fp16"
                [optimizer]
                outer = "sign"
                robust = "trimmed_mean"
                weight_decay = 0.01
                [deadline]
                min_seconds = 30
                max_seconds = 900
                [server]
                bind = "0.0.0.0"
                data_dir = "/srv/hearth"
                tls_dir = "/etc/hearth/tls"
                """, "run.toml", Map.of());
        assertEquals("pub-7", c.runId());
        RunRecipe r = c.recipe();
        assertEquals(5000, r.totalRounds());
        assertEquals(256, r.model().context());
        assertEquals(64, r.demo().topK());
        assertEquals(ValueEncoding.FP16, r.demo().encoding());
        assertEquals(RobustAggregation.TRIMMED_MEAN, r.robust());
        assertEquals(new SignStep(0.01), r.outer());
        assertEquals(RunRecipe.DataIdentity.NOT_READ, r.data(), "known once the coordinator reads the corpus");
        assertEquals(Duration.ofSeconds(30), c.deadline().min());
        assertEquals(Path.of("/etc/hearth/tls"), c.tlsDir());
        assertEquals(Path.of("/srv/hearth/checkpoints"), c.checkpointDir());
    }

    @Test
    void theMeanStepIsTheDefaultAndItsKeysAreCheckedAgainstEachOther() {
        RunRecipe d = RunConfig.defaults().recipe();
        assertEquals(new MeanStep(8, 1.5, 0.1), d.outer());
        assertEquals(8, d.outer().localSteps());
        assertEquals(64, d.sequencesPerNode(), "8 windows per inner step");
        assertEquals(64, d.demo().topK());
        assertEquals(1e-3, d.lrMax(), "the inner AdamW's rate");
        assertEquals(3, d.warmupRounds());
        RunRecipe sign = RunConfig.parse("[optimizer]\nouter = \"sign\"\n", "run.toml", Map.of()).recipe();
        assertEquals(new SignStep(0), sign.outer());
        assertEquals(8, sign.demo().topK(), "the sign step keeps its own defaults");
        assertEquals(1.2e-2, sign.lrMax());
        assertEquals(1.2e-3, sign.lrMin());
        assertEquals(10, sign.warmupRounds());
        assertEquals(8, sign.sequencesPerNode());
        assertTrue(fails("[optimizer]\nouter = \"sign\"\nlocal_steps = 4\n").getMessage()
                .contains("'optimizer.local_steps'"));
        assertTrue(fails("[optimizer]\nouter = \"sign\"\nouter_lr = 1.0\n").getMessage()
                .contains("'optimizer.outer_lr'"));
        assertTrue(fails("[optimizer]\nouter_lr = 0\n").getMessage().contains("'optimizer.outer_lr'"));
        assertTrue(fails("[optimizer]\nrobust = \"trimmed_mean\"\n").getMessage().contains("'optimizer.robust'"));
        assertTrue(fails("[optimizer]\nlocal_steps = 8\n[data]\nsequences_per_node = 4\n").getMessage()
                .contains("'data.sequences_per_node'"));
        assertTrue(fails("[optimizer]\nouter = \"adam\"\n").getMessage().contains("'optimizer.outer'"));
    }

    @Test
    void aValueOutOfRangeNamesTheKeyAndTheRange() {
        assertEquals("run.toml: key 'demo.top_k' must be between 1 and 1024, got 0",
                fails("[demo]\ntop_k = 0\n").getMessage());
        assertEquals("run.toml: key 'demo.top_k' must be between 1 and 16, got 17",
                fails("[demo]\nblock = 4\ntop_k = 17\n").getMessage(), "at most every coefficient of a block");
        assertEquals("run.toml: key 'demo.block' must be between 2 and 256, got 512",
                fails("[demo]\nblock = 512\n").getMessage(), "the codec's uint16 indices");
        assertEquals("run.toml: key 'demo.encoding' must be one of sign, fp16, got 'fp8'",
                fails("[demo]\nencoding = \"fp8\"\n").getMessage());
        assertEquals("run.toml: key 'optimizer.robust' must be one of mean, trimmed_mean, norm_clip, got 'median'",
                fails("[optimizer]\nrobust = \"median\"\n").getMessage());
    }

    @Test
    void unknownKeysAndSectionsAreRefusedWithTheKnownOnes() {
        var key = fails("[demo]\ntopk = 3\n");
        assertEquals("run.toml: unknown key 'demo.topk' (known in [demo]: beta, block, top_k, encoding)", key.getMessage());
        var section = fails("[serverr]\nport = 1\n");
        assertTrue(section.getMessage().startsWith("run.toml: unknown section 'serverr'"), section.getMessage());
    }

    @Test
    void wrongTypesAndChoicesNameTheKey() {
        assertEquals("run.toml: key 'quorum.min_nodes' must be an integer, got \"three\"",
                fails("[quorum]\nmin_nodes = \"three\"\n").getMessage());
        assertEquals("run.toml: key 'model.name' must be one of nano, small, gpt2-small, got 'huge'",
                fails("[model]\nname = \"huge\"\n").getMessage());
        assertTrue(fails("[run]\nid = \"../etc\"\n").getMessage().contains("'run.id'"));
        assertTrue(fails("[optimizer]\nlr_max = 0.001\nlr_min = 0.01\n").getMessage().contains("'optimizer.lr_min'"));
        assertTrue(fails("[deadline]\nmin_seconds = 60\nmax_seconds = 30\n").getMessage().contains("'deadline.max_seconds'"));
        assertTrue(fails("[server]\nport = 5000\nhttp_port = 5000\n").getMessage().contains("'server.http_port'"));
        assertTrue(fails("demo = 3\n").getMessage().contains("must be a table"));
    }

    @Test
    void everyModelTheEngineKnowsIsAccepted() {
        for (String name : ModelConfig.NAMES) {
            RunConfig c = RunConfig.parse("[model]\nname = \"" + name + "\"\n", "run.toml", Map.of());
            assertEquals(ModelConfig.byName(name), c.recipe().model());
        }
        assertEquals(ModelConfig.gpt2Small(),
                RunConfig.parse("[model]\nname = \"gpt2-small\"\n", "run.toml", Map.of()).recipe().model());
    }

    @Test
    void brokenTomlSaysSo() {
        assertTrue(fails("[run\nid = 1").getMessage().startsWith("run.toml: not valid TOML"));
    }

    @Test
    void aMissingFileSuggestsTheExample(@org.junit.jupiter.api.io.TempDir Path dir) {
        var e = assertThrows(ConfigException.class, () -> RunConfig.load(dir.resolve("run.toml"), Map.of()));
        assertTrue(e.getMessage().contains("run.example.toml"), e.getMessage());
    }

    @Test
    void commandLineFlagsOverrideTheFileAndNameThemselvesInErrors(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("run.toml");
        Files.writeString(file, "[server]\nport = 6000\n[run]\ntotal_rounds = 50\n");
        var opts = CoordinatorOptions.parse(List.of("--config", file.toString(), "--port", "7000", "--http-port=7001",
                "--data-dir", dir.resolve("data").toString(), "--bind", "0.0.0.0", "--rounds", "12"));
        RunConfig c = opts.resolve();
        assertEquals(7000, c.port());
        assertEquals(7001, c.httpPort());
        assertEquals(dir.resolve("data"), c.dataDir());
        assertEquals(dir.resolve("data").resolve("tls"), c.tlsDir());
        assertEquals("0.0.0.0", c.bind());
        assertEquals(12, c.recipe().totalRounds());

        var bad = assertThrows(ConfigException.class, () -> CoordinatorOptions.parse(List.of("--demo", "--port", "70000"))
                .resolve());
        assertEquals("--port: must be between 0 and 65535, got 70000", bad.getMessage());
    }

    @Test
    void optionsNeedAConfigOrDemoAndRejectUnknownFlags() {
        var none = assertThrows(ConfigException.class, () -> CoordinatorOptions.parse(List.of()).resolve());
        assertTrue(none.getMessage().contains("--config"), none.getMessage());
        var unknown = assertThrows(ConfigException.class, () -> CoordinatorOptions.parse(List.of("--prot", "1")));
        assertTrue(unknown.getMessage().contains("'--prot'"), unknown.getMessage());
        var missing = assertThrows(ConfigException.class, () -> CoordinatorOptions.parse(List.of("--port")));
        assertTrue(missing.getMessage().startsWith("--port needs a value"), missing.getMessage());
        var word = assertThrows(ConfigException.class, () -> CoordinatorOptions.parse(List.of("--rounds", "many")));
        assertEquals("--rounds: must be an integer, got 'many'", word.getMessage());
        assertEquals(RunConfig.defaults(), CoordinatorOptions.parse(List.of("--demo")).resolve());
        assertTrue(CoordinatorOptions.parse(List.of("--help")).help());
    }

    @Test
    void startupTurnsHelpAndErrorsIntoMessagesAndExitCodes() {
        var help = CoordinatorOptions.startup(List.of("--help"));
        assertFalse(help.serve());
        assertEquals(0, help.exitCode());
        assertEquals(CoordinatorOptions.HELP, help.message());
        var bad = CoordinatorOptions.startup(List.of("--demo", "--bind="));
        assertFalse(bad.serve());
        assertEquals(CoordinatorOptions.EXIT_USAGE, bad.exitCode());
        assertEquals("hearth coordinator: --bind needs a value", bad.message());
        var demo = CoordinatorOptions.startup(List.of("--demo", "--rounds", "3"));
        assertTrue(demo.serve());
        assertEquals(3, demo.config().recipe().totalRounds());
    }

    @Test
    void helpExplainsEveryOption() {
        for (String flag : List.of("--config", "--demo", "--data-dir", "--port", "--http-port", "--bind", "--rounds", "--help")) {
            assertTrue(CoordinatorOptions.HELP.contains("  " + flag), "help explains " + flag);
        }
    }
}
