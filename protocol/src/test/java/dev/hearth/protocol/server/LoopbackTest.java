package dev.hearth.protocol.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.SampleMessages;
import dev.hearth.protocol.client.Backoff;
import dev.hearth.protocol.client.ClientConfig;
import dev.hearth.protocol.client.ClientListener;
import dev.hearth.protocol.client.Disconnect;
import dev.hearth.protocol.client.HearthClient;
import dev.hearth.protocol.framing.EncodedFrame;
import dev.hearth.protocol.framing.EnvelopeEncoder;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.identity.UpdateSignatures;
import dev.hearth.protocol.session.HelloSignatures;
import dev.hearth.protocol.tls.CoordinatorCertificate;
import dev.hearth.protocol.wire.ChallengeResponse;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.RunStatus;
import dev.hearth.protocol.wire.UpdateReceipt;
import dev.hearth.protocol.wire.UpdateUpload;
import dev.hearth.protocol.wire.Welcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/// A real coordinator socket on loopback with TLS, real clients, and misbehaving raw clients.
class LoopbackTest {
    private static final String RUN_ID = "run-loopback";
    private static final long WAIT = RawTlsClient.WAIT_SECONDS;

    private static CoordinatorCertificate certificate;
    private static HearthServer server;
    private static EventLoopGroup rawGroup;
    private static final Map<String, Peer> peers = new ConcurrentHashMap<>();
    private static final BlockingQueue<String> closed = new LinkedBlockingQueue<>();

    /// A tiny coordinator: welcomes everyone, answers status requests, verifies and receipts uploads.
    private static final PeerHandler COORDINATOR = new PeerHandler() {
        @Override
        public void onAuthenticated(Peer peer, Hello hello) {
            peers.put(peer.nodeId(), peer);
            peer.send(Envelope.newBuilder().setWelcome(Welcome.newBuilder().setRunId(RUN_ID)
                    .setNodeId(peer.nodeId()).setConfig(SampleMessages.runConfig()).setCurrentVersion(3)).build());
        }

        @Override
        public void onMessage(Peer peer, Envelope envelope) {
            if (envelope.hasRunStatusRequest()) {
                peer.send(Envelope.newBuilder().setRunStatus(RunStatus.newBuilder().setRunId(RUN_ID)
                        .setNodesOnline(peers.size())).build());
            } else if (envelope.hasUpdateUpload()) {
                UpdateUpload upload = envelope.getUpdateUpload();
                boolean valid = UpdateSignatures.verify(peer.publicKey(), upload);
                peer.send(Envelope.newBuilder().setUpdateReceipt(UpdateReceipt.newBuilder().setRound(upload.getRound())
                        .setAccepted(valid).setReason(valid ? "" : "bad signature")).build());
            }
        }

        @Override
        public void onClosed(Peer peer, String reason) {
            peers.remove(peer.nodeId(), peer);
            closed.add(reason);
        }
    };

    @BeforeAll
    static void startServer() {
        certificate = CoordinatorCertificate.generate();
        server = HearthServer.start(ServerConfig.loopback(0, certificate), COORDINATOR);
        rawGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stopServer() {
        server.close();
        rawGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void serverStillServesAnotherClient() throws Exception {
        try (TestNode node = TestNode.connect(server.runAddress("127.0.0.1"))) {
            assertNotNull(node.welcomes.poll(WAIT, TimeUnit.SECONDS), "server must keep serving other clients");
        }
    }

    /// A real HearthClient recording what its listener hears.
    static final class TestNode implements ClientListener, AutoCloseable {
        final BlockingQueue<Welcome> welcomes = new LinkedBlockingQueue<>();
        final BlockingQueue<Envelope> messages = new LinkedBlockingQueue<>();
        final BlockingQueue<Disconnect> disconnects = new LinkedBlockingQueue<>();
        final NodeIdentity identity = NodeIdentity.generate();
        HearthClient client;

        static TestNode connect(RunAddress address) {
            return connect(address, SampleMessages.hello(NodeIdentity.generate()).toBuilder().clearNodePublicKey()
                    .build());
        }

        static TestNode connect(RunAddress address, Hello hello) {
            TestNode node = new TestNode();
            Backoff fast = new Backoff(Duration.ofMillis(50), Duration.ofMillis(200), new Random(1));
            node.client = new HearthClient(new ClientConfig(address, hello, fast, Clock.systemUTC(),
                    Duration.ofSeconds(2)), node.identity, node);
            node.client.start();
            return node;
        }

        @Override
        public void onWelcome(Welcome welcome) {
            welcomes.add(welcome);
        }

        @Override
        public void onMessage(Envelope envelope) {
            messages.add(envelope);
        }

        @Override
        public void onDisconnected(Disconnect disconnect) {
            disconnects.add(disconnect);
        }

        @Override
        public void close() {
            client.close();
        }
    }

    private RunAddress address() {
        return server.runAddress("127.0.0.1");
    }

    @Test
    void nodeJoinsExchangesMessagesAndHasItsUploadVerified() throws Exception {
        try (TestNode node = TestNode.connect(address())) {
            Welcome welcome = node.welcomes.poll(WAIT, TimeUnit.SECONDS);
            assertNotNull(welcome);
            assertEquals(node.identity.nodeId(), welcome.getNodeId());
            assertTrue(node.client.isConnected());

            assertTrue(node.client.send(SampleMessages.all().get(MessageKind.RUN_STATUS_REQUEST)));
            Envelope status = node.messages.poll(WAIT, TimeUnit.SECONDS);
            assertNotNull(status);
            assertEquals(RUN_ID, status.getRunStatus().getRunId());

            UpdateUpload upload = UpdateSignatures.signed(node.identity, UpdateUpload.newBuilder().setRunId(RUN_ID)
                    .setRound(4).setBaseVersion(3).setPayload(SampleMessages.bytes(500_000, 3)).build());
            assertTrue(node.client.send(Envelope.newBuilder().setUpdateUpload(upload).build()));
            Envelope receipt = node.messages.poll(WAIT, TimeUnit.SECONDS);
            assertNotNull(receipt);
            assertTrue(receipt.getUpdateReceipt().getAccepted(), receipt.toString());

            Peer peer = peers.get(node.identity.nodeId());
            assertArrayEquals(node.identity.publicKeyBytes(), peer.publicKey());
            Envelope commit = SampleMessages.all().get(MessageKind.ROUND_COMMIT);
            assertTrue(peer.send(commit));
            assertEquals(commit, node.messages.poll(WAIT, TimeUnit.SECONDS));
        }
    }

    @Test
    void frameEncodedOnceReachesEveryNode() throws Exception {
        try (TestNode a = TestNode.connect(address()); TestNode b = TestNode.connect(address())) {
            assertNotNull(a.welcomes.poll(WAIT, TimeUnit.SECONDS));
            assertNotNull(b.welcomes.poll(WAIT, TimeUnit.SECONDS));
            Envelope commit = SampleMessages.all().get(MessageKind.ROUND_COMMIT);
            EncodedFrame frame = EncodedFrame.of(commit);
            assertEquals(MessageKind.ROUND_COMMIT, frame.kind());
            assertTrue(peers.get(a.identity.nodeId()).send(frame));
            assertTrue(peers.get(b.identity.nodeId()).send(frame));
            assertEquals(commit, a.messages.poll(WAIT, TimeUnit.SECONDS));
            assertEquals(commit, b.messages.poll(WAIT, TimeUnit.SECONDS));
        }
    }

    @Test
    void clientReconnectsAfterTheCoordinatorDropsIt() throws Exception {
        try (TestNode node = TestNode.connect(address())) {
            assertNotNull(node.welcomes.poll(WAIT, TimeUnit.SECONDS));
            peers.get(node.identity.nodeId()).close("coordinator maintenance");
            Disconnect disconnect = node.disconnects.poll(WAIT, TimeUnit.SECONDS);
            assertNotNull(disconnect);
            assertTrue(disconnect.reconnectIn().isPresent(), disconnect.toString());
            assertNotNull(node.welcomes.poll(WAIT, TimeUnit.SECONDS), "welcomed again after reconnecting");
        }
    }

    @Test
    void nodeRefusesCoordinatorWithAnotherFingerprintAndSaysBoth() throws Exception {
        String wrong = "00".repeat(32);
        try (TestNode node = TestNode.connect(new RunAddress("127.0.0.1", server.port(), wrong))) {
            Disconnect disconnect = node.disconnects.poll(WAIT, TimeUnit.SECONDS);
            assertNotNull(disconnect);
            assertTrue(disconnect.reason().contains("expected sha256=" + wrong), disconnect.reason());
            assertTrue(disconnect.reason().contains(certificate.fingerprintHex()), disconnect.reason());
            assertTrue(disconnect.reconnectIn().isEmpty(), "a wrong pin never fixes itself");
            assertTrue(node.welcomes.isEmpty());
        }
    }

    @Test
    void nodeWithAnotherProtocolVersionGetsReadableRejectAndGivesUp() throws Exception {
        Hello hello = SampleMessages.hello(NodeIdentity.generate()).toBuilder().setProtocolVersion(2).build();
        try (TestNode node = TestNode.connect(address(), hello)) {
            Disconnect disconnect = node.disconnects.poll(WAIT, TimeUnit.SECONDS);
            assertNotNull(disconnect);
            assertTrue(disconnect.rejected());
            assertTrue(disconnect.reason().contains("protocol version 2"), disconnect.reason());
            assertTrue(disconnect.reconnectIn().isEmpty());
        }
    }

    private static byte[] frame(int length, int tag, byte[] body) {
        ByteBuf buf = Unpooled.buffer().writeInt(length).writeByte(tag).writeBytes(body);
        return ByteBufUtil.getBytes(buf);
    }

    @Test
    void garbageClosesTheConnection() throws Exception {
        try (RawTlsClient raw = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            byte[] garbage = new byte[256];
            new Random(5).nextBytes(garbage);
            raw.sendRaw(garbage);
            assertTrue(raw.awaitClosed());
        }
    }

    @Test
    void oversizeFrameClosesTheConnection() throws Exception {
        try (RawTlsClient raw = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            raw.sendRaw(frame(ProtocolLimits.MAX_CONTROL_FRAME_BYTES + 1, MessageKind.HELLO.tag(), new byte[0]));
            assertTrue(raw.awaitClosed());
        }
    }

    @Test
    void largeFrameKindBeforeAuthenticationClosesTheConnection() throws Exception {
        try (RawTlsClient raw = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            raw.sendRaw(frame(1_000_000, MessageKind.UPDATE_UPLOAD.tag(), new byte[0]));
            assertTrue(raw.awaitClosed());
        }
    }

    @Test
    void truncatedMessageClosesTheConnection() throws Exception {
        byte[] hello = SampleMessages.all().get(MessageKind.HELLO).toByteArray();
        byte[] cut = java.util.Arrays.copyOf(hello, hello.length / 2);
        try (RawTlsClient raw = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            raw.sendRaw(frame(1 + cut.length, MessageKind.HELLO.tag(), cut));
            assertTrue(raw.awaitClosed());
        }
    }

    @Test
    void trailingBytesCloseTheConnection() throws Exception {
        byte[] hello = SampleMessages.all().get(MessageKind.HELLO).toByteArray();
        byte[] withTrailing = java.util.Arrays.copyOf(hello, hello.length + 2);
        withTrailing[hello.length] = (byte) 0xF8; // field 31 varint 0: a valid but unknown field
        withTrailing[hello.length + 1] = 0x00;
        try (RawTlsClient raw = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            raw.sendRaw(frame(1 + withTrailing.length, MessageKind.HELLO.tag(), withTrailing));
            assertTrue(raw.awaitClosed());
        }
    }

    private static Envelope hello(NodeIdentity identity, int version) {
        return Envelope.newBuilder().setHello(SampleMessages.hello(identity).toBuilder().setProtocolVersion(version))
                .build();
    }

    private static Envelope response(byte[] signature) {
        return Envelope.newBuilder().setChallengeResponse(ChallengeResponse.newBuilder()
                .setSignature(ByteString.copyFrom(signature))).build();
    }

    @Test
    void wrongVersionFromRawClientGetsRejectThenClose() throws Exception {
        try (RawTlsClient raw = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            raw.send(hello(NodeIdentity.generate(), 99));
            Envelope reject = raw.next();
            assertNotNull(reject);
            assertTrue(reject.getReject().getReason().contains("version 99"), reject.toString());
            assertTrue(raw.awaitClosed());
        }
    }

    @Test
    void badSignatureGetsRejectThenClose() throws Exception {
        NodeIdentity identity = NodeIdentity.generate();
        try (RawTlsClient raw = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            raw.send(hello(identity, ProtocolLimits.PROTOCOL_VERSION));
            Envelope challenge = raw.next();
            byte[] nonce = challenge.getChallenge().getNonce().toByteArray();
            byte[] signature = HelloSignatures.sign(identity, nonce, certificate.fingerprint());
            signature[0] ^= 1;
            raw.send(response(signature));
            Envelope reject = raw.next();
            assertNotNull(reject);
            assertTrue(reject.hasReject(), reject.toString());
            assertTrue(raw.awaitClosed());
        }
    }

    @Test
    void replayedChallengeResponseIsRejected() throws Exception {
        NodeIdentity identity = NodeIdentity.generate();
        byte[] recorded;
        try (RawTlsClient honest = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            honest.send(hello(identity, ProtocolLimits.PROTOCOL_VERSION));
            byte[] nonce = honest.next().getChallenge().getNonce().toByteArray();
            recorded = HelloSignatures.sign(identity, nonce, certificate.fingerprint());
            honest.send(response(recorded));
            assertTrue(honest.next().hasWelcome());
            honest.send(response(recorded)); // reused on the same connection
            assertTrue(honest.awaitClosed());
        }
        try (RawTlsClient attacker = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            attacker.send(hello(identity, ProtocolLimits.PROTOCOL_VERSION));
            assertTrue(attacker.next().hasChallenge());
            attacker.send(response(recorded)); // replayed on a new connection
            assertTrue(attacker.next().hasReject());
            assertTrue(attacker.awaitClosed());
        }
    }

    @Test
    void floodOverTheRateLimitClosesTheConnection() throws Exception {
        NodeIdentity identity = NodeIdentity.generate();
        try (RawTlsClient raw = new RawTlsClient(rawGroup, server.port(), certificate.fingerprintHex())) {
            raw.send(hello(identity, ProtocolLimits.PROTOCOL_VERSION));
            byte[] nonce = raw.next().getChallenge().getNonce().toByteArray();
            raw.send(response(HelloSignatures.sign(identity, nonce, certificate.fingerprint())));
            assertTrue(raw.next().hasWelcome());
            Envelope heartbeat = Envelope.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build();
            ByteBuf burst = Unpooled.buffer();
            for (int i = 0; i < ProtocolLimits.MESSAGE_RATE_BURST * 2; i++) {
                EnvelopeEncoder.encode(heartbeat, burst);
            }
            raw.sendRaw(ByteBufUtil.getBytes(burst));
            assertTrue(raw.awaitClosed());
            String reason;
            do { // other tests' peers may close concurrently; look for this one's reason
                reason = closed.poll(WAIT, TimeUnit.SECONDS);
            } while (reason != null && !reason.contains("messages per second"));
            assertNotNull(reason, "the coordinator reports the rate limit as the close reason");
        }
    }

    @Test
    void serverExposesItsEphemeralPortAndListensOnLoopbackOnly() {
        assertTrue(server.port() > 0);
        assertTrue(server.localAddress().getAddress().isLoopbackAddress());
        assertEquals(certificate.fingerprintHex(), server.runAddress("127.0.0.1").fingerprintHex());
        assertFalse(RunAddress.parse(server.runAddress("127.0.0.1").toString()).host().isEmpty());
    }
}
