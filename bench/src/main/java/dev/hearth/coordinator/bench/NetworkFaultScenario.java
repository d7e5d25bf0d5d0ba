package dev.hearth.coordinator.bench;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.service.CoordinatorService;
import dev.hearth.protocol.RunAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/// Issue 8's network faults: a coordinator in this JVM, a `./hearth node` child process reaching it only through
/// a {@link FaultProxy}. Each fault is injected while the node is training; the node must then record
/// {@link #ROUNDS_TO_RECOVER} more accepted rounds (so it reconnected, caught up and trained again).
public final class NetworkFaultScenario {

    /// One fault and how the node came through it.
    public record Fault(String kind, boolean recovered, Duration recoveredIn, int reconnects) {}

    /// Accepted rounds after a fault that count as "carries on".
    static final int ROUNDS_TO_RECOVER = 2;
    /// Per fault: backoff after a drop is 1–2 s, the round deadline is at most 30 s.
    static final Duration FAULT_TIMEOUT = Duration.ofSeconds(90);
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /// 150 ms each way per 8 KB chunk: a slow, far-away link.
    static final long DELAY_MILLIS = 150;
    /// 64 KB/s: a RoundCommit of `nano` (~220 KB) takes ~3.5 s to drain.
    static final long SLOW_READER_BYTES_PER_SECOND = 64 << 10;
    private static final Pattern ACCEPTED = Pattern.compile("(?m)^round \\d+: .*accepted");

    private NetworkFaultScenario() {}

    public static List<Fault> run(Path dir) throws Exception {
        RunConfig config = RunConfig.parse("""
                [run]
                id = "network"
                total_rounds = 1000
                [data]
                sequences_per_node = 4
                [optimizer]
                local_steps = 4
                [validation]
                spot_check_fraction = 0.0
                loss_every_rounds = 0
                [quorum]
                min_nodes = 1
                min_uploads = 1
                [deadline]
                min_seconds = 15
                max_seconds = 30
                [checkpoint]
                every_rounds = 1
                [server]
                port = 0
                http_port = 0
                """, "network", Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        List<Fault> faults = new ArrayList<>();
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             FaultProxy proxy = FaultProxy.start(coordinator.nodeListenAddress())) {
            RunAddress real = coordinator.address();
            RunAddress viaProxy = new RunAddress("127.0.0.1", proxy.port(), real.fingerprintHex());
            try (ChildJvm node = ChildJvm.start(ProcessFaultScenario.NODE_MAIN, List.of("--coordinator", viaProxy.toString(),
                    "--always", "--rounds", "100000", "--in-process-worker", "--data-dir", dir.resolve("node").toString()),
                    dir.resolve("node.log"))) {
                await(node, 1, START_TIMEOUT);
                faults.add(inject("delay 150 ms per chunk", node, proxy, () -> proxy.delay(DELAY_MILLIS),
                        () -> proxy.delay(0)));
                faults.add(inject("slow reader 64 KB/s", node, proxy, () -> proxy.slowReader(SLOW_READER_BYTES_PER_SECOND),
                        () -> proxy.slowReader(0)));
                faults.add(inject("cut mid-frame", node, proxy, proxy::cutMidFrame, () -> { }));
                faults.add(inject("drop every connection", node, proxy, proxy::dropAll, () -> { }));
            }
        }
        return faults;
    }

    private static Fault inject(String kind, ChildJvm node, FaultProxy proxy, Runnable fault, Runnable heal)
            throws InterruptedException {
        int before = accepted(node);
        int connections = proxy.connections();
        long start = System.nanoTime();
        fault.run();
        boolean recovered;
        try {
            recovered = awaitQuietly(node, before + ROUNDS_TO_RECOVER, FAULT_TIMEOUT);
        } finally {
            heal.run();
        }
        return new Fault(kind, recovered, Duration.ofNanos(System.nanoTime() - start), proxy.connections() - connections);
    }

    private static int accepted(ChildJvm node) {
        Matcher m = ACCEPTED.matcher(node.output());
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    private static void await(ChildJvm node, int rounds, Duration timeout) throws InterruptedException {
        if (!awaitQuietly(node, rounds, timeout)) {
            throw new IllegalStateException("the node recorded no accepted round in time:\n"
                    + ProcessFaultScenario.tail(node.output()));
        }
    }

    private static boolean awaitQuietly(ChildJvm node, int rounds, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            if (accepted(node) >= rounds) return true;
            if (!node.alive()) return false;
            Thread.sleep(ProcessFaultScenario.POLL_MILLIS);
        }
        return false;
    }
}
