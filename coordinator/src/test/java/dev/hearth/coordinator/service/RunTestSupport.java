package dev.hearth.coordinator.service;

import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.LogEntry;
import dev.hearth.node.api.NodeService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
