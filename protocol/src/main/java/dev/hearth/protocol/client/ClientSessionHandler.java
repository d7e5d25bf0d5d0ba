package dev.hearth.protocol.client;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.ProtocolViolationException;
import dev.hearth.protocol.framing.HearthFrameDecoder;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.session.Disconnects;
import dev.hearth.protocol.session.HelloSignatures;
import dev.hearth.protocol.tls.FingerprintMismatchException;
import dev.hearth.protocol.wire.ChallengeResponse;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.Welcome;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/// The node's end of one connection: sends Hello once TLS is up, answers the Challenge with its signature,
/// waits for Welcome or Reject, then passes messages to [Events]. One instance per connection attempt.
final class ClientSessionHandler extends ChannelInboundHandlerAdapter {

    /// Before the Welcome a node accepts only handshake answers (and a Leave).
    static final Set<MessageKind> BEFORE_WELCOME = EnumSet.of(MessageKind.CHALLENGE, MessageKind.WELCOME,
            MessageKind.REJECT, MessageKind.LEAVE);

    /// What the session reports to its owner; called on the event loop.
    interface Events {
        void welcomed(ChannelHandlerContext ctx, Welcome welcome);

        void message(Envelope envelope);

        /// @param retryAfterSeconds the coordinator's Reject retry-after, or -1 when there was no Reject
        /// @param permanent retrying cannot help (fingerprint or version mismatch, Reject without retry)
        void ended(String reason, boolean rejected, int retryAfterSeconds, boolean permanent);
    }

    private enum State { CONNECTING, AWAITING_CHALLENGE, AWAITING_WELCOME, WELCOMED, ENDED }

    private final NodeIdentity identity;
    private final Hello hello;
    private final byte[] pinnedFingerprint;
    private final HearthFrameDecoder frameDecoder;
    private final Clock clock;
    private final Supplier<NodeState> nodeState;
    private final Events events;

    private State state = State.CONNECTING;
    private String endReason;
    private boolean rejected;
    private int retryAfterSeconds = -1;
    private boolean permanent;
    private ScheduledFuture<?> handshakeTimer;

    ClientSessionHandler(NodeIdentity identity, Hello hello, byte[] pinnedFingerprint,
                         HearthFrameDecoder frameDecoder, Clock clock, Supplier<NodeState> nodeState, Events events) {
        this.identity = identity;
        this.hello = hello.toBuilder()
                .setProtocolVersion(hello.getProtocolVersion() != 0 ? hello.getProtocolVersion()
                        : ProtocolLimits.PROTOCOL_VERSION)
                .setNodePublicKey(ByteString.copyFrom(identity.publicKeyBytes()))
                .build();
        this.pinnedFingerprint = pinnedFingerprint.clone();
        this.frameDecoder = frameDecoder;
        this.clock = clock;
        this.nodeState = nodeState;
        this.events = events;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            begin(ctx); // added to an already active channel: channelActive will not come
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        begin(ctx);
        ctx.fireChannelActive();
    }

    private void begin(ChannelHandlerContext ctx) {
        if (handshakeTimer != null) {
            return;
        }
        handshakeTimer = ctx.executor().schedule(() -> {
            if (state != State.WELCOMED && state != State.ENDED) {
                endWith(ctx, "the coordinator did not complete the handshake within "
                        + ProtocolLimits.HANDSHAKE_TIMEOUT.toSeconds() + " s", false);
            }
        }, ProtocolLimits.HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (ctx.pipeline().get(SslHandler.class) == null) {
            sendHello(ctx); // no TLS stage (in-memory tests): the channel is ready now
        }
    }

    private void sendHello(ChannelHandlerContext ctx) {
        state = State.AWAITING_CHALLENGE;
        ctx.writeAndFlush(Envelope.newBuilder().setHello(hello).build());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Envelope envelope = (Envelope) msg;
        if (state == State.ENDED) {
            return;
        }
        if (envelope.hasReject()) {
            rejected = true;
            retryAfterSeconds = envelope.getReject().getRetryAfterSeconds();
            permanent = retryAfterSeconds == 0;
            endWith(ctx, envelope.getReject().getReason(), false);
            return;
        }
        if (envelope.hasLeave() && state != State.WELCOMED) {
            endWith(ctx, "the coordinator closed the connection: " + envelope.getLeave().getReason(), false);
            return;
        }
        switch (state) {
            case AWAITING_CHALLENGE -> {
                if (!envelope.hasChallenge()) {
                    throw new ProtocolViolationException("expected Challenge, got " + envelope.getPayloadCase());
                }
                byte[] nonce = envelope.getChallenge().getNonce().toByteArray();
                if (nonce.length != ProtocolLimits.NONCE_BYTES) {
                    throw new ProtocolViolationException("challenge nonce has " + nonce.length + " bytes, expected "
                            + ProtocolLimits.NONCE_BYTES);
                }
                byte[] signature = HelloSignatures.sign(identity, nonce, pinnedFingerprint);
                state = State.AWAITING_WELCOME;
                ctx.writeAndFlush(Envelope.newBuilder().setChallengeResponse(
                        ChallengeResponse.newBuilder().setSignature(ByteString.copyFrom(signature))).build());
            }
            case AWAITING_WELCOME -> {
                if (!envelope.hasWelcome()) {
                    throw new ProtocolViolationException("expected Welcome or Reject, got "
                            + envelope.getPayloadCase());
                }
                state = State.WELCOMED;
                handshakeTimer.cancel(false);
                frameDecoder.allow(MessageKind.receivableBy(MessageKind.Sender.NODE));
                events.welcomed(ctx, envelope.getWelcome());
            }
            case WELCOMED -> {
                if (envelope.hasChallenge() || envelope.hasWelcome()) {
                    throw new ProtocolViolationException(envelope.getPayloadCase() + " after the Welcome");
                }
                if (envelope.hasLeave()) {
                    endReason = "the coordinator closed the connection: " + envelope.getLeave().getReason();
                }
                events.message(envelope);
            }
            default -> throw new ProtocolViolationException(envelope.getPayloadCase() + " before the TLS handshake");
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof SslHandshakeCompletionEvent tls) {
            if (tls.isSuccess()) {
                sendHello(ctx);
            } else {
                permanent = Disconnects.find(tls.cause(), FingerprintMismatchException.class) != null;
                endWith(ctx, Disconnects.describe(tls.cause()), false);
            }
        } else if (event instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE) {
                endWith(ctx, "the coordinator sent nothing for " + ProtocolLimits.READ_IDLE_TIMEOUT.toSeconds()
                        + " s", false);
            } else if (idle.state() == IdleState.WRITER_IDLE && state == State.WELCOMED) {
                ctx.writeAndFlush(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder()
                        .setUnixMillis(clock.millis()).setState(nodeState.get())).build());
            }
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (Disconnects.find(cause, FingerprintMismatchException.class) != null) {
            permanent = true;
        }
        endWith(ctx, Disconnects.describe(cause), false);
    }

    /// Records why the session ends (first reason wins) and closes the channel.
    void endWith(ChannelHandlerContext ctx, String reason, boolean byUser) {
        if (endReason == null) {
            endReason = reason;
        }
        if (byUser) {
            permanent = true;
        }
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (state != State.ENDED) {
            state = State.ENDED;
            events.ended(endReason != null ? endReason : "the coordinator closed the connection", rejected,
                    retryAfterSeconds, permanent);
        }
        ctx.fireChannelInactive();
    }
}
