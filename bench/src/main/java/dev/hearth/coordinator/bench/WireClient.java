package dev.hearth.coordinator.bench;

import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.client.ClientConfig;
import dev.hearth.protocol.client.ClientListener;
import dev.hearth.protocol.client.Disconnect;
import dev.hearth.protocol.client.HearthClient;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.Welcome;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/// A scripted client speaking the real protocol (TLS 1.3, pinned fingerprint, Ed25519 hello): every message
/// from the coordinator lands in a queue the scenario reads, and the scenario sends whatever it crafts.
public final class WireClient implements AutoCloseable {

    private final NodeIdentity identity;
    private final HearthClient client;
    private final BlockingQueue<Envelope> inbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<Welcome> welcome = new CompletableFuture<>();
    private final java.util.List<Envelope> held = new java.util.ArrayList<>(); // scenario thread only
    private volatile Disconnect lastDisconnect;

    public WireClient(RunAddress address, NodeIdentity identity) {
        this(address, identity, Hello.newBuilder().setClientVersion("reliability-bench").setBackend("cpu")
                .setDevice("scripted").setTokensPerSecond(ProtocolNode.TOKENS_PER_SECOND).build());
    }

    /// A client that says `hello` about itself (a hostile one says anything).
    public WireClient(RunAddress address, NodeIdentity identity, Hello hello) {
        this.identity = identity;
        this.client = new HearthClient(ClientConfig.of(address, hello), identity, new ClientListener() {
            @Override
            public void onWelcome(Welcome w) {
                welcome.complete(w);
            }

            @Override
            public void onMessage(Envelope envelope) {
                inbox.add(envelope);
            }

            @Override
            public void onDisconnected(Disconnect d) {
                lastDisconnect = d;
            }
        });
    }

    /// Connects and waits for the `Welcome`, then asks for work (heartbeat IDLE).
    public Welcome join(Duration timeout) throws Exception {
        client.start();
        Welcome w = welcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        client.setState(NodeState.IDLE);
        send(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder().setUnixMillis(System.currentTimeMillis())
                .setState(NodeState.IDLE)).build());
        return w;
    }

    public NodeIdentity identity() {
        return identity;
    }

    public void send(Envelope e) {
        if (!client.send(e)) {
            throw new IllegalStateException("not connected" + (lastDisconnect == null ? "" : ": " + lastDisconnect.reason()));
        }
    }

    /// The oldest message matching `kind` (others stay for later calls), or an exception after `timeout`.
    public Envelope next(Predicate<Envelope> kind, Duration timeout) throws InterruptedException {
        for (var it = held.iterator(); it.hasNext(); ) {
            Envelope e = it.next();
            if (kind.test(e)) {
                it.remove();
                return e;
            }
        }
        long until = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = until - System.nanoTime();
            Envelope e = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new IllegalStateException("no expected message within " + timeout.toSeconds() + " s"
                        + (lastDisconnect == null ? "" : " (disconnected: " + lastDisconnect.reason() + ")"));
            }
            if (kind.test(e)) return e;
            if (!e.hasHeartbeat()) held.add(e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
