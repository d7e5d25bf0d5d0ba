package dev.hearth.protocol.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.protocol.client.Disconnect;
import dev.hearth.protocol.tls.CoordinatorCertificate;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.Welcome;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ServerShutdownTest {
    private static final long WAIT_SECONDS = 5;

    @Test
    void closingTheServerSaysGoodbyeAndTheNodeComesBackWhenItRestarts() throws Exception {
        BlockingQueue<String> closedReasons = new LinkedBlockingQueue<>();
        PeerHandler coordinator = new PeerHandler() {
            @Override
            public void onAuthenticated(Peer peer, Hello hello) {
                peer.send(Envelope.newBuilder().setWelcome(Welcome.newBuilder().setRunId("r")
                        .setNodeId(peer.nodeId())).build());
            }

            @Override
            public void onMessage(Peer peer, Envelope envelope) {
            }

            @Override
            public void onClosed(Peer peer, String reason) {
                closedReasons.add(reason);
            }
        };
        CoordinatorCertificate certificate = CoordinatorCertificate.generate();
        HearthServer first = HearthServer.start(ServerConfig.loopback(0, certificate), coordinator);
        int port = first.port();
        try (LoopbackTest.TestNode node = LoopbackTest.TestNode.connect(first.runAddress("127.0.0.1"))) {
            assertNotNull(node.welcomes.poll(WAIT_SECONDS, TimeUnit.SECONDS));
            assertEquals(1, first.connectionCount());
            first.close();
            assertEquals(ServerSessionHandler.SHUTDOWN_REASON, closedReasons.poll(WAIT_SECONDS, TimeUnit.SECONDS));
            Envelope leave = node.messages.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(leave);
            assertEquals(ServerSessionHandler.SHUTDOWN_REASON, leave.getLeave().getReason());
            Disconnect disconnect = node.disconnects.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(disconnect);
            assertTrue(disconnect.reason().contains("shutting down"), disconnect.reason());
            assertTrue(disconnect.reconnectIn().isPresent());

            // same certificate, same port: the node's backoff brings it back without help
            try (HearthServer second = HearthServer.start(ServerConfig.loopback(port, certificate), coordinator)) {
                assertNotNull(node.welcomes.poll(WAIT_SECONDS, TimeUnit.SECONDS), "node rejoined the restarted run");
            }
        }
    }
}
