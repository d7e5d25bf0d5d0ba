package dev.hearth.protocol.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.SampleMessages;
import dev.hearth.protocol.framing.EnvelopeEncoder;
import dev.hearth.protocol.framing.Framing;
import dev.hearth.protocol.framing.HearthFrameDecoder;
import dev.hearth.protocol.framing.PipelineNames;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.session.HelloSignatures;
import dev.hearth.protocol.wire.ChallengeResponse;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.RunStatusRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/// The coordinator's handshake on an in-memory channel.
class ServerHandshakeTest {
    private static final byte[] CERT_FINGERPRINT = Fingerprints.sha256(new byte[] {42});

    private final NodeIdentity node = NodeIdentity.generate();
    private final List<String> events = new ArrayList<>();
    private final List<Envelope> messages = new ArrayList<>();

    private final PeerHandler handler = new PeerHandler() {
        @Override
        public void onAuthenticated(Peer peer, Hello hello) {
            events.add("authenticated " + peer.nodeId());
        }

        @Override
        public void onMessage(Peer peer, Envelope envelope) {
            messages.add(envelope);
        }

        @Override
        public void onClosed(Peer peer, String reason) {
            events.add("closed " + reason);
        }
    };

    private EmbeddedChannel server() {
        EmbeddedChannel channel = new EmbeddedChannel();
        HearthFrameDecoder decoder = Framing.install(channel.pipeline(), "coordinator",
                ServerSessionHandler.BEFORE_AUTHENTICATION);
        channel.pipeline().addLast(PipelineNames.SESSION, new ServerSessionHandler(handler, CERT_FINGERPRINT,
                decoder, new SecureRandom(), Clock.systemUTC()));
        return channel;
    }

    private static void send(EmbeddedChannel channel, Envelope envelope) {
        ByteBuf buf = Unpooled.buffer();
        try {
            EnvelopeEncoder.encode(envelope, buf);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        channel.writeInbound(buf);
    }

    /// Decodes everything the server wrote.
    private static List<Envelope> received(EmbeddedChannel channel) {
        EmbeddedChannel decoder = new EmbeddedChannel();
        Framing.install(decoder.pipeline(), "node", EnumSet.allOf(MessageKind.class));
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            decoder.writeInbound(out);
        }
        List<Envelope> result = new ArrayList<>();
        Envelope e;
        while ((e = decoder.readInbound()) != null) {
            result.add(e);
        }
        return result;
    }

    private Envelope hello(int version) {
        return Envelope.newBuilder().setHello(SampleMessages.hello(node).toBuilder().setProtocolVersion(version))
                .build();
    }

    private static Envelope response(byte[] signature) {
        return Envelope.newBuilder().setChallengeResponse(
                ChallengeResponse.newBuilder().setSignature(ByteString.copyFrom(signature))).build();
    }

    private byte[] nonceFrom(List<Envelope> out) {
        assertEquals(1, out.size(), out.toString());
        assertTrue(out.getFirst().hasChallenge(), out.toString());
        return out.getFirst().getChallenge().getNonce().toByteArray();
    }

    @Test
    void authenticatesNodeThatSignsTheChallenge() {
        EmbeddedChannel channel = server();
        send(channel, hello(ProtocolLimits.PROTOCOL_VERSION));
        byte[] nonce = nonceFrom(received(channel));
        assertEquals(ProtocolLimits.NONCE_BYTES, nonce.length);
        send(channel, response(HelloSignatures.sign(node, nonce, CERT_FINGERPRINT)));
        assertEquals(List.of("authenticated " + node.nodeId()), events);
        send(channel, Envelope.newBuilder().setRunStatusRequest(RunStatusRequest.getDefaultInstance()).build());
        assertEquals(1, messages.size());
        assertTrue(channel.isOpen());
        channel.close();
        assertEquals("closed connection closed by the node", events.getLast());
    }

    @Test
    void rejectsOtherProtocolVersionWithReadableReasonAndCloses() {
        EmbeddedChannel channel = server();
        send(channel, hello(2));
        List<Envelope> out = received(channel);
        assertTrue(out.getFirst().hasReject());
        String reason = out.getFirst().getReject().getReason();
        assertTrue(reason.contains("version 2") && reason.contains("version 1") && reason.contains("Update Hearth"),
                reason);
        assertEquals(0, out.getFirst().getReject().getRetryAfterSeconds());
        assertFalse(channel.isOpen());
        assertTrue(events.isEmpty(), "never authenticated: " + events);
    }

    @Test
    void rejectsBadSignatureAndCloses() {
        EmbeddedChannel channel = server();
        send(channel, hello(ProtocolLimits.PROTOCOL_VERSION));
        byte[] nonce = nonceFrom(received(channel));
        NodeIdentity impostor = NodeIdentity.generate();
        send(channel, response(HelloSignatures.sign(impostor, nonce, CERT_FINGERPRINT)));
        List<Envelope> out = received(channel);
        assertTrue(out.getFirst().hasReject());
        assertTrue(out.getFirst().getReject().getReason().contains("does not verify"));
        assertFalse(channel.isOpen());
        assertTrue(events.isEmpty());
    }

    @Test
    void rejectsSignatureMadeForAnotherCertificate() {
        EmbeddedChannel channel = server();
        send(channel, hello(ProtocolLimits.PROTOCOL_VERSION));
        byte[] nonce = nonceFrom(received(channel));
        send(channel, response(HelloSignatures.sign(node, nonce, Fingerprints.sha256(new byte[] {7}))));
        assertTrue(received(channel).getFirst().hasReject());
        assertFalse(channel.isOpen());
    }

    @Test
    void rejectsSignatureReplayedFromAnEarlierConnection() {
        EmbeddedChannel first = server();
        send(first, hello(ProtocolLimits.PROTOCOL_VERSION));
        byte[] firstNonce = nonceFrom(received(first));
        byte[] recorded = HelloSignatures.sign(node, firstNonce, CERT_FINGERPRINT);
        send(first, response(recorded));
        assertEquals(1, events.size());

        EmbeddedChannel second = server();
        send(second, hello(ProtocolLimits.PROTOCOL_VERSION));
        byte[] secondNonce = nonceFrom(received(second));
        assertFalse(java.util.Arrays.equals(firstNonce, secondNonce), "every connection gets a fresh nonce");
        send(second, response(recorded));
        assertTrue(received(second).getFirst().hasReject());
        assertFalse(second.isOpen());
        assertEquals(1, events.size(), "only the first connection authenticated");
    }

    @Test
    void closesConnectionThatReusesItsChallengeResponse() {
        EmbeddedChannel channel = server();
        send(channel, hello(ProtocolLimits.PROTOCOL_VERSION));
        byte[] signature = HelloSignatures.sign(node, nonceFrom(received(channel)), CERT_FINGERPRINT);
        send(channel, response(signature));
        assertTrue(channel.isOpen());
        send(channel, response(signature));
        assertFalse(channel.isOpen());
        assertTrue(events.getLast().contains("replayed or reused"), events.toString());
    }

    @Test
    void closesConnectionThatSkipsTheHello() {
        EmbeddedChannel channel = server();
        send(channel, response(new byte[64]));
        assertFalse(channel.isOpen());
    }

    @Test
    void closesConnectionThatSendsApplicationMessagesBeforeAuthenticating() {
        EmbeddedChannel channel = server();
        ByteBuf buf = Unpooled.buffer();
        try {
            EnvelopeEncoder.encode(SampleMessages.all().get(MessageKind.UPDATE_UPLOAD), buf);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        channel.writeInbound(buf);
        assertFalse(channel.isOpen());
    }

    @Test
    void closesSilentPeerAfterTheHandshakeTimeout() {
        EmbeddedChannel channel = server();
        ByteBuf partial = Unpooled.buffer().writeInt(100).writeByte(MessageKind.HELLO.tag()).writeBytes(new byte[10]);
        channel.writeInbound(partial); // truncated: the rest never comes
        assertTrue(channel.isOpen());
        channel.advanceTimeBy(ProtocolLimits.HANDSHAKE_TIMEOUT.toMillis() + 1, TimeUnit.MILLISECONDS);
        channel.runPendingTasks();
        assertFalse(channel.isOpen());
    }

    @Test
    void authenticatedConnectionSendsHeartbeatWhenIdleAndClosesWhenTheNodeFallsSilent() {
        EmbeddedChannel channel = server();
        send(channel, hello(ProtocolLimits.PROTOCOL_VERSION));
        send(channel, response(HelloSignatures.sign(node, nonceFrom(received(channel)), CERT_FINGERPRINT)));
        channel.pipeline().fireUserEventTriggered(io.netty.handler.timeout.IdleStateEvent.WRITER_IDLE_STATE_EVENT);
        assertTrue(received(channel).getFirst().hasHeartbeat());
        channel.pipeline().fireUserEventTriggered(io.netty.handler.timeout.IdleStateEvent.READER_IDLE_STATE_EVENT);
        assertFalse(channel.isOpen());
        assertEquals("closed no message for 60 s", events.getLast());
    }

    @Test
    void peerSendIsRefusedAfterClose() {
        List<Peer> peers = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel();
        HearthFrameDecoder decoder = Framing.install(channel.pipeline(), "coordinator",
                ServerSessionHandler.BEFORE_AUTHENTICATION);
        channel.pipeline().addLast(new ServerSessionHandler(new PeerHandler() {
            @Override
            public void onAuthenticated(Peer peer, Hello hello) {
                peers.add(peer);
            }

            @Override
            public void onMessage(Peer peer, Envelope envelope) {
            }

            @Override
            public void onClosed(Peer peer, String reason) {
            }
        }, CERT_FINGERPRINT, decoder, new SecureRandom(), Clock.systemUTC()));
        send(channel, hello(ProtocolLimits.PROTOCOL_VERSION));
        send(channel, response(HelloSignatures.sign(node, nonceFrom(received(channel)), CERT_FINGERPRINT)));
        Peer peer = peers.getFirst();
        assertNotNull(peer.hello());
        assertTrue(peer.send(SampleMessages.all().get(MessageKind.ROUND_START)));
        peer.close("run finished");
        List<Envelope> out = received(channel);
        assertEquals("run finished", out.getLast().getLeave().getReason());
        assertFalse(peer.isOpen());
        assertFalse(peer.send(SampleMessages.all().get(MessageKind.ROUND_START)));
    }
}
