package dev.hearth.coordinator.service;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.NodeService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/// What the coordinator's run-level integration tests share: a run's own text corpus, and waiting for a node's log.
final class RunTestSupport {

    /// 200,000 characters: a few hundred training windows, enough for every test's rounds without repeating.
    static final int CORPUS_CHARS = 200_000;

    private RunTestSupport() {
    }

    /// Writes a seeded text of lines `before <n> after` (n uniform in [0, bound)) to `file`, and returns it.
    static Path writeCorpus(Path file, long seed, int bound, String before, String after) throws IOException {
        StringBuilder text = new StringBuilder();
        Random r = new Random(seed);
        while (text.length() < CORPUS_CHARS) {
            text.append(before).append(r.nextInt(bound)).append(after).append('\n');
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    /// A small sign-step run of `rounds` rounds on its own seeded corpus (`<id>.txt` in `dir`, lines
    /// `<before> n <after>`), as the storage tests run it: one node suffices (quorum 1), no spot checks and no
    /// validation (they would only slow the rounds), 60–120 s deadlines, `windows` training windows per node, the
    /// coordinator's data in `<id>-coordinator`; `extraToml` adds sections (`[storage]`, `[checkpoint]`).
    static RunConfig smallSignRun(Path dir, String id, int rounds, int windows, String before, String after,
                                  String extraToml) throws IOException {
        Path corpus = writeCorpus(dir.resolve(id + ".txt"), 17, 10_000, before, after);
        return RunConfig.parse("""
                [run]
                id = "%s"
                total_rounds = %d
                [data]
                corpus = "%s"
                sequences_per_node = %d
                [optimizer]
                outer = "sign"
                lr_max = 0.003
                lr_min = 0.003
                warmup_rounds = 0
                [validation]
                loss_every_rounds = 0
                spot_check_fraction = 0.0
                [quorum]
                min_nodes = 1
                min_uploads = 1
                [deadline]
                min_seconds = 60
                max_seconds = 120
                [server]
                port = 0
                http_port = 0
                %s""".formatted(id, rounds, corpus.toString().replace("\\", "\\\\"), windows, extraToml), "test",
                Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve(id + "-coordinator"))));
    }

    /// A node in `dataDir` whose owner is always away (it trains every round it is given), its worker in-process.
    static NodeRuntime awayNode(Path dataDir) {
        return NodeRuntime.start(dataDir, Clock.systemUTC(), true,
                log -> new AwayOwnerProbes("Test machine: training on the CPU."));
    }

    /// Completes when the node logs a line containing `text` (register before the node does the work).
    static CompletableFuture<Void> logged(NodeRuntime node, String text) {
        CompletableFuture<Void> seen = new CompletableFuture<>();
        node.addListener(new NodeService.Listener() {
            @Override
            public void onLog(LogEntry entry) {
                if (entry.message().contains(text)) seen.complete(null);
            }
        }, Runnable::run);
        return seen;
    }

    /// Completes with the first log line of the node that contains `text` (register before the node does the work).
    static CompletableFuture<String> loggedLine(NodeRuntime node, String text) {
        CompletableFuture<String> seen = new CompletableFuture<>();
        node.addListener(new NodeService.Listener() {
            @Override
            public void onLog(LogEntry entry) {
                if (entry.message().contains(text)) seen.complete(entry.message());
            }
        }, Runnable::run);
        return seen;
    }

    /// Every log line the node writes from now on.
    static java.util.List<String> lines(NodeRuntime node) {
        var lines = new java.util.concurrent.CopyOnWriteArrayList<String>();
        node.addListener(new NodeService.Listener() {
            @Override
            public void onLog(LogEntry entry) {
                lines.add(entry.message());
            }
        }, Runnable::run);
        return lines;
    }

    /// Polls `condition` (a state reached, not a time) every 50 ms until it holds or `bound` passes.
    static void await(String what, java.time.Duration bound, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long end = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("not reached within " + bound + ": " + what);
            Thread.sleep(50);
        }
    }
}
