package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.bench.ChildJvm;
import dev.hearth.coordinator.bench.SimulatedNodes;
import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.run.RunPhase;
import dev.hearth.coordinator.storage.S3ObjectStore;
import dev.hearth.coordinator.storage.S3TestServer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 17 point 5, measured: how many nodes one coordinator holds and how long a round's commit takes with them,
/// storage on S3 (s3proxy in-process). The coordinator (and s3proxy) run in this JVM; N simulated nodes
/// ([SimulatedNodes]: real TLS clients with their own identities, one real DeMo update each) in a child JVM, so the
/// heap printed is the coordinator's. The quorum is all N nodes and all N uploads, so the round measured is the
/// whole population's. Loopback only, bounded (one round, a 10 min wait at most).
///
/// `./mvnw -B -q -pl coordinator -am test -Dtest=CoordinatorScaleBench -Dsurefire.failIfNoSpecifiedTests=false
///  -Dhearth.excludedGroups= -Dhearth.scale.nodes=1000` (tagged bench: not in the default run).
@Tag("bench")
class CoordinatorScaleBench {

    /// How long one step (all welcomed, the round committed) may take before the bench gives up.
    static final Duration STEP_WAIT = Duration.ofMinutes(10);

    @TempDir
    Path dir;

    @Test
    void oneCoordinatorHoldsTheNodesAndCommitsTheirRoundWithStorageOnS3() throws Exception {
        int nodes = Integer.getInteger("hearth.scale.nodes", 1000);
        int topK = Integer.getInteger("hearth.scale.topk", 16);
        String childHeap = System.getProperty("hearth.scale.childHeap", "-Xmx3g");
        StringBuilder text = new StringBuilder();
        Random r = new Random(3);
        // ~150 training windows of 128 tokens per 20,000 characters: enough windows for one per node, twice over.
        while (text.length() < nodes * 280L + 200_000) {
            text.append("scale line ").append(r.nextInt(100_000)).append(" of the coordinator bench\n");
        }
        Path corpus = dir.resolve("text.txt");
        Files.writeString(corpus, text, StandardCharsets.UTF_8);
        try (S3TestServer s3 = S3TestServer.start(dir.resolve("s3"))) {
            RunConfig config = RunConfig.parse("""
                    [run]
                    id = "scale"
                    total_rounds = 5
                    [data]
                    corpus = "%s"
                    sequences_per_node = 1
                    [optimizer]
                    local_steps = 1
                    [demo]
                    top_k = %d
                    [validation]
                    loss_every_rounds = 0
                    spot_check_fraction = 0.0
                    [quorum]
                    min_nodes = %d
                    min_uploads = %d
                    [deadline]
                    min_seconds = 600
                    max_seconds = 900
                    [server]
                    port = 0
                    http_port = 0
                    %s""".formatted(corpus.toString(), topK, nodes, nodes, s3.toml("scale/")), "scale bench",
                    Map.of("server.data_dir", new RunConfig.Override("bench", dir.resolve("coordinator"))));
            CompletableFuture<CoordinatorService.CommitEvent> committed = new CompletableFuture<>();
            try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
                 S3ObjectStore bucket = s3.store("scale/")) {
                coordinator.onCommit(committed::complete);
                long t0 = System.nanoTime();
                try (ChildJvm sims = ChildJvm.start(SimulatedNodes.class.getName(), List.of(childHeap),
                        List.of(coordinator.address().toString(), Integer.toString(nodes)), dir.resolve("sims.log"))) {
                    await("all " + nodes + " connected", () -> coordinator.connectionCount() >= nodes
                            || !sims.alive(), sims);
                    double connectS = (System.nanoTime() - t0) / 1e9;
                    await("the round open", () -> coordinator.phase() != RunPhase.WAITING_FOR_NODES, sims);
                    long opened = System.nanoTime();
                    await("every upload in", () -> coordinator.phase() == RunPhase.AGGREGATING
                            || committed.isDone(), sims);
                    long closed = System.nanoTime();
                    CoordinatorService.CommitEvent e = committed.get(STEP_WAIT.toSeconds(), TimeUnit.SECONDS);
                    long done = System.nanoTime();
                    System.gc();
                    var rt = Runtime.getRuntime();
                    var commits = bucket.client().listObjectsV2(b -> b.bucket(S3TestServer.BUCKET).prefix("scale/commits/"))
                            .contents();
                    assertEquals(1, commits.size(), "the round's commit is in the bucket");
                    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
                    System.out.printf(Locale.ROOT, "| nodes | all connected | round open → all %d uploads in |"
                            + " all in → committed (aggregate, ledger, commit to S3, broadcast) | updates | bytes in |"
                            + " bytes out (commit × nodes) | commit object | coordinator heap after GC | connections |"
                            + " load avg |%n", nodes);
                    System.out.printf(Locale.ROOT, "| %d | %.1f s | %.1f s | %.2f s | %d | %.1f MiB | %.1f MiB | %d B |"
                                    + " %d MiB | %d | %.1f |%n", nodes, connectS, (closed - opened) / 1e9,
                            (done - closed) / 1e9, e.updates(), e.bytesIn() / 1048576.0, e.bytesOut() / 1048576.0,
                            commits.getFirst().size(), (rt.totalMemory() - rt.freeMemory()) >> 20,
                            coordinator.connectionCount(), load);
                    System.out.println("simulated nodes said: " + sims.output().lines()
                            .filter(l -> !l.contains("INFO")).limit(8).toList());
                    assertEquals(nodes, e.updates(), "every node's update counted");
                    assertTrue(coordinator.connectionCount() >= nodes, "every node still connected");
                }
            }
        }
    }

    private static void await(String what, BooleanSupplier condition, ChildJvm sims) throws InterruptedException {
        long end = System.nanoTime() + STEP_WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end || !sims.alive()) {
                throw new AssertionError("not reached: " + what + "; simulated nodes: " + sims.output().lines()
                        .filter(l -> !l.contains("INFO")).limit(20).toList());
            }
            Thread.sleep(20);
        }
    }
}
