package dev.hearth.coordinator.bench;

import com.google.protobuf.ByteString;
import dev.hearth.engine.demo.DemoCompressor;
import dev.hearth.engine.demo.DemoConfig;
import dev.hearth.engine.demo.UpdateCodec;
import dev.hearth.engine.demo.ValueEncoding;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.ParameterLayout;
import dev.hearth.node.Version;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.client.ClientConfig;
import dev.hearth.protocol.client.ClientListener;
import dev.hearth.protocol.client.Disconnect;
import dev.hearth.protocol.client.HearthClient;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.identity.UpdateSignatures;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.RoundStart;
import dev.hearth.protocol.wire.UpdateUpload;
import dev.hearth.protocol.wire.Welcome;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/// Thousands of simulated nodes in one JVM for the coordinator's scale bench (`CoordinatorScaleBench`): each a real
/// [HearthClient] (loopback TLS pinned to the run's fingerprint, its own Ed25519 identity and challenge handshake,
/// heartbeats) on one shared event-loop group, so a node costs a connection, not a thread. A node asks for work at
/// its welcome and answers each `RoundStart` with one update: a real DeMo compression (the run's blocking, from its
/// wire config) of a random gradient, made once and signed per node and round. It trains nothing and holds no model:
/// this measures the coordinator holding nodes and committing their uploads.
///
/// Prints `welcomed N` when all are in, then `round R: N uploads sent` and `commits seen C` as they happen; runs
/// until killed. Usage: `SimulatedNodes <hearth://address> <count> [event-loop threads]`.
public final class SimulatedNodes {

    /// 2 event-loop threads: the machine's cores; the coordinator's own workers compete for the same ones.
    static final int DEFAULT_THREADS = 2;
    /// Tokens per second a node claims in its Hello (the deadline is computed from it; the bench sets its own bounds).
    static final double CLAIMED_TOKENS_PER_SECOND = 10_000;
    /// 200 handshakes in flight at most: started all at once, thousands of TLS handshakes queue past the
    /// coordinator's 10 s handshake timeout on a loaded 2-core machine and retry in a storm (seen at 1,000).
    static final int MAX_HANDSHAKES_IN_FLIGHT = 200;

    public static void main(String[] args) throws Exception {
        RunAddress address = RunAddress.parse(args[0]);
        int count = Integer.parseInt(args[1]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_THREADS;
        var group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("sim-node"), NioIoHandler.newFactory());
        Hello hello = Hello.newBuilder().setClientVersion(Version.CURRENT).setBackend("simulated")
                .setTokensPerSecond(CLAIMED_TOKENS_PER_SECOND).build();
        AtomicInteger welcomed = new AtomicInteger();
        AtomicInteger uploads = new AtomicInteger();
        AtomicInteger commits = new AtomicInteger();
        AtomicInteger disconnects = new AtomicInteger();
        byte[][] payload = new byte[1][];
        int[] context = new int[1];
        long t0 = System.nanoTime();
        List<HearthClient> clients = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            while (i - welcomed.get() >= MAX_HANDSHAKES_IN_FLIGHT) Thread.sleep(5);
            NodeIdentity identity = NodeIdentity.generate();
            HearthClient[] self = new HearthClient[1];
            self[0] = new HearthClient(ClientConfig.of(address, hello), identity, new ClientListener() {
                String runId;

                @Override
                public void onWelcome(Welcome w) {
                    runId = w.getRunId();
                    synchronized (payload) {
                        if (payload[0] == null) {
                            payload[0] = update(w);
                            context[0] = ModelConfig.byName(w.getConfig().getModel()).context();
                        }
                    }
                    self[0].setState(NodeState.IDLE);
                    self[0].send(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder()
                            .setUnixMillis(System.currentTimeMillis()).setState(NodeState.IDLE)).build());
                    if (welcomed.incrementAndGet() == count) {
                        System.out.printf("welcomed %d in %.1f s%n", count, (System.nanoTime() - t0) / 1e9);
                    }
                }

                @Override
                public void onMessage(Envelope e) {
                    switch (e.getPayloadCase()) {
                        case ROUND_START -> {
                            RoundStart rs = e.getRoundStart();
                            UpdateUpload u = UpdateSignatures.signed(identity, UpdateUpload.newBuilder()
                                    .setRunId(runId).setRound(rs.getRound()).setBaseVersion(rs.getBaseVersion())
                                    .setPayload(ByteString.copyFrom(payload[0]))
                                    .setTokens(rs.getBatchIdsCount() * (long) context[0]).setLocalLoss(4.0).setTrainMillis(1).build());
                            self[0].send(Envelope.newBuilder().setUpdateUpload(u).build());
                            if (uploads.incrementAndGet() % count == 0) {
                                System.out.printf("round %d: %d uploads sent%n", rs.getRound(), count);
                            }
                        }
                        case ROUND_COMMIT -> {
                            if (commits.incrementAndGet() % count == 0) {
                                System.out.printf("commit of version %d seen by all%n", e.getRoundCommit().getNewVersion());
                            }
                        }
                        default -> {
                        }
                    }
                }

                @Override
                public void onDisconnected(Disconnect d) {
                    if (disconnects.incrementAndGet() <= 3) System.out.println("disconnect: " + d);
                }
            }, group);
            self[0].start();
            clients.add(self[0]);
        }
        System.out.println("started " + count + " clients");
        Thread.currentThread().join(); // until killed
    }

    /// One update as a node of this run would send it: the run's DCT blocking and k, on a random gradient.
    static byte[] update(Welcome w) {
        var recipe = dev.hearth.engine.recipe.RunRecipe.fromWire(w.getConfig());
        ParameterLayout layout = ParameterLayout.gpt(recipe.model());
        DemoConfig demo = recipe.demo();
        DemoCompressor compressor = new DemoCompressor(layout, demo);
        float[] grad = new float[layout.size()];
        Random r = new Random(5);
        for (int i = 0; i < grad.length; i++) grad[i] = (float) (r.nextGaussian() * 1e-3);
        return UpdateCodec.encode(compressor.compress(grad), demo.encoding());
    }
}
