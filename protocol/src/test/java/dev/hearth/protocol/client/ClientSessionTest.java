package dev.hearth.protocol.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.SampleMessages;
import dev.hearth.protocol.framing.EnvelopeEncoder;
import dev.hearth.protocol.framing.Framing;
import dev.hearth.protocol.framing.HearthFrameDecoder;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.session.HelloSignatures;
import dev.hearth.protocol.wire.Challenge;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.Reject;
import dev.hearth.protocol.wire.Welcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/// The node's side of the handshake and keep-alive on an in-memory channel.
class ClientSessionTest {
    private static final byte[] PIN = Fingerprints.sha256(new byte[] {9});
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(1_764_000_000_000L), ZoneOffset.UTC);

    private final NodeIdentity node = NodeIdentity.generate();
    private final List<String> events = new ArrayList<>();
    private NodeState state = NodeState.TRAINING;

    private final ClientSessionHandler.Events recorder = new ClientSessionHandler.Events() {
        @Override
        public void welcomed(ChannelHandlerContext ctx, Welcome welcome) {
            events.add("welcome " + welcome.getRunId());
        }

        @Override
        public void message(Envelope envelope) {
            events.add("message " + envelope.getPayloadCase());
        }

        @Override
        public void ended(String reason, boolean rejected, int retryAfterSeconds, boolean permanent) {
            events.add("ended " + reason + " rejected=" + rejected + " retry=" + retryAfterSeconds
                    + " permanent=" + permanent);
        }
    };

    private EmbeddedChannel client() {
        EmbeddedChannel channel = new EmbeddedChannel();
        HearthFrameDecoder decoder = Framing.install(channel.pipeline(), "node", ClientSessionHandler.BEFORE_WELCOME);
        channel.pipeline().addLast(new ClientSessionHandler(node,
                SampleMessages.hello(node).toBuilder().clearProtocolVersion().clearNodePublicKey().build(), PIN,
                decoder, CLOCK, () -> state, recorder));
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

    private static List<Envelope> sent(EmbeddedChannel channel) {
        EmbeddedChannel decoder = new EmbeddedChannel();
        Framing.install(decoder.pipeline(), "coordinator", EnumSet.allOf(MessageKind.class));
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

    private EmbeddedChannel welcomedClient() {
        EmbeddedChannel channel = client();
        byte[] nonce = SampleMessages.bytes(32, 3).toByteArray();
        send(channel, Envelope.newBuilder().setChallenge(Challenge.newBuilder().setNonce(ByteString.copyFrom(nonce)))
                .build());
        send(channel, SampleMessages.all().get(MessageKind.WELCOME));
        sent(channel);
        return channel;
    }

    @Test
    void sendsHelloWithVersionAndKeyThenAVerifiableChallengeResponse() {
        EmbeddedChannel channel = client();
        List<Envelope> hello = sent(channel);
        assertEquals(ProtocolLimits.PROTOCOL_VERSION, hello.getFirst().getHello().getProtocolVersion());
        assertEquals(ByteString.copyFrom(node.publicKeyBytes()), hello.getFirst().getHello().getNodePublicKey());
        assertEquals("Test CPU", hello.getFirst().getHello().getDevice());

        byte[] nonce = SampleMessages.bytes(32, 3).toByteArray();
        send(channel, Envelope.newBuilder().setChallenge(Challenge.newBuilder().setNonce(ByteString.copyFrom(nonce)))
                .build());
        byte[] signature = sent(channel).getFirst().getChallengeResponse().getSignature().toByteArray();
        assertTrue(HelloSignatures.verify(node.publicKeyBytes(), nonce, PIN, signature));

        send(channel, SampleMessages.all().get(MessageKind.WELCOME));
        send(channel, SampleMessages.all().get(MessageKind.ROUND_START));
        assertEquals(List.of("welcome run-1", "message ROUND_START"), events);
    }

    @Test
    void rejectEndsTheSessionWithTheCoordinatorsReason() {
        EmbeddedChannel channel = client();
        send(channel, Envelope.newBuilder().setReject(Reject.newBuilder().setReason("The run is full.")
                .setRetryAfterSeconds(30)).build());
        assertFalse(channel.isOpen());
        assertEquals(List.of("ended The run is full. rejected=true retry=30 permanent=false"), events);
    }

    @Test
    void rejectWithoutRetryIsPermanent() {
        EmbeddedChannel channel = client();
        send(channel, Envelope.newBuilder().setReject(Reject.newBuilder().setReason("Update Hearth.")).build());
        assertTrue(events.getFirst().endsWith("permanent=true"), events.toString());
    }

    @Test
    void closesOnShortChallengeNonce() {
        EmbeddedChannel channel = client();
        send(channel, Envelope.newBuilder().setChallenge(Challenge.newBuilder().setNonce(ByteString.copyFrom(
                new byte[4]))).build());
        assertFalse(channel.isOpen());
        assertTrue(events.getFirst().contains("nonce"), events.toString());
    }

    @Test
    void closesOnCoordinatorMessagesBeforeTheWelcome() {
        EmbeddedChannel channel = client();
        ByteBuf commit = Unpooled.buffer();
        try {
            EnvelopeEncoder.encode(SampleMessages.all().get(MessageKind.ROUND_COMMIT), commit);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        channel.writeInbound(commit);
        assertFalse(channel.isOpen());
    }

    @Test
    void sendsHeartbeatWithCurrentStateWhenIdleForWriting() {
        EmbeddedChannel channel = welcomedClient();
        state = NodeState.PAUSED;
        channel.pipeline().fireUserEventTriggered(IdleStateEvent.WRITER_IDLE_STATE_EVENT);
        Envelope heartbeat = sent(channel).getFirst();
        assertEquals(NodeState.PAUSED, heartbeat.getHeartbeat().getState());
        assertEquals(CLOCK.millis(), heartbeat.getHeartbeat().getUnixMillis());
    }

    @Test
    void closesWhenTheCoordinatorFallsSilent() {
        EmbeddedChannel channel = welcomedClient();
        channel.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
        assertFalse(channel.isOpen());
        assertTrue(events.getLast().contains("sent nothing for 60 s"), events.toString());
        assertTrue(events.getLast().endsWith("permanent=false"), "a silent coordinator is worth retrying");
    }
}
