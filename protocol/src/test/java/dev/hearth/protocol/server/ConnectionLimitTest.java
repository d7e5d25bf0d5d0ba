package dev.hearth.protocol.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.hearth.protocol.tls.CoordinatorCertificate;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConnectionLimitTest {
    private static final int SOCKET_TIMEOUT_MILLIS = 5_000;

    @Test
    void connectionsOverTheLimitAreClosedOnAcceptAndTheSlotFreesAgain() throws Exception {
        BlockingQueue<String> welcomed = new LinkedBlockingQueue<>();
        PeerHandler welcomeAll = new PeerHandler() {
            @Override
            public void onAuthenticated(Peer peer, Hello hello) {
                welcomed.add(peer.nodeId());
            }

            @Override
            public void onMessage(Peer peer, Envelope envelope) {
            }

            @Override
            public void onClosed(Peer peer, String reason) {
            }
        };
        CoordinatorCertificate certificate = CoordinatorCertificate.generate();
        try (HearthServer server = HearthServer.start(ServerConfig.loopback(0, certificate).withMaxConnections(1),
                welcomeAll)) {
            InetAddress loopback = InetAddress.getLoopbackAddress();
            try (Socket first = new Socket(loopback, server.port())) {
                // the two accepts may be initialised on different event loops: let the first one count
                // before the second arrives, so which of the two is refused is not a race
                awaitConnectionCount(server, 1);
                try (Socket second = new Socket(loopback, server.port())) {
                    second.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
                    InputStream in = second.getInputStream();
                    assertEquals(-1, in.read(), "the connection over the limit is closed by the server");
                }
            }
            awaitConnectionCount(server, 0);
            // both closed: a real node now gets in
            try (LoopbackTest.TestNode node = LoopbackTest.TestNode.connect(server.runAddress("127.0.0.1"))) {
                assertNotNull(welcomed.poll(SOCKET_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            }
        }
    }

    private static void awaitConnectionCount(HearthServer server, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SOCKET_TIMEOUT_MILLIS);
        while (server.connectionCount() != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("server still counts " + server.connectionCount()
                        + " connections, expected " + expected);
            }
            Thread.sleep(10);
        }
    }
}
