package dev.hearth.coordinator.reliability;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 8, bad input at the command line: `./hearth coordinator` and `./hearth node` given a broken run.toml, a
/// data dir that cannot be created, or a broken run address fail with a message naming the problem and no
/// stack trace. (Corrupt checkpoints, shard files, settings and key files are covered where they are read:
/// CheckpointStoreTest, CorpusTest, SettingsStoreTest, NodeIdentityTest.)
class MalformedFilesCliTest {

    static final String COORDINATOR = "dev.hearth.coordinator.CoordinatorMain";
    static final String NODE = "dev.hearth.node.cli.NodeMain";
    static final long EXIT_SECONDS = 60;

    @Test
    void brokenRunTomlNamesTheProblemWithoutAStackTrace(@TempDir Path dir) throws Exception {
        record Case(String toml, String named) {}
        List<Case> cases = List.of(
                new Case("[run\nid = \"x\"\n", "run.toml"),
                new Case("[run]\ntotal_rounds = -3\n", "run.total_rounds"),
                new Case("[quorum]\nmin_nodez = 2\n", "quorum.min_nodez"),
                new Case("[optimizer]\nrobust = \"median\"\n", "optimizer.robust"),
                new Case("[server]\nport = \"many\"\n", "server.port"));
        int i = 0;
        for (Case c : cases) {
            Path toml = dir.resolve("case" + i++).resolve("run.toml");
            Files.createDirectories(toml.getParent());
            Files.writeString(toml, c.toml());
            String out = runToExit(COORDINATOR, List.of("--config", toml.toString()), dir.resolve("c" + i + ".log"));
            assertTrue(out.contains(c.named()), "names " + c.named() + ":\n" + out);
            assertNoStackTrace(out);
        }
    }

    @Test
    void aDataDirThatCannotBeCreatedIsAClearErrorAndNothingIsWritten(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "a file where the data dir should go");
        String out = runToExit(COORDINATOR, List.of("--demo", "--data-dir", file.resolve("run").toString(),
                "--port", "0", "--http-port", "0"), dir.resolve("ro.log"));
        assertTrue(out.contains(file.toString()), "names the data dir:\n" + out);
        assertNoStackTrace(out);
        assertTrue(Files.isRegularFile(file) && Files.readString(file).startsWith("a file"), "nothing overwritten");
    }

    @Test
    void aBrokenRunAddressIsNamedByTheNode(@TempDir Path dir) throws Exception {
        String out = runToExit(NODE, List.of("--coordinator", "hearth://127.0.0.1:7461#sha256=abc", "--data-dir",
                dir.resolve("node").toString(), "--rounds", "1"), dir.resolve("node.log"));
        assertTrue(out.contains("fingerprint"), out);
        assertNoStackTrace(out);
    }

    static String runToExit(String main, List<String> args, Path log) throws Exception {
        try (ChildJvm p = ChildJvm.start(main, args, log)) {
            int code = p.waitFor(EXIT_SECONDS);
            assertNotEquals(0, code, "fails:\n" + p.output());
            return p.output();
        }
    }

    static void assertNoStackTrace(String out) {
        assertFalse(out.contains("\tat ") || out.contains("Exception"), "no stack trace:\n" + out);
    }
}
