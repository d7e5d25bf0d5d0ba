package dev.hearth.protocol.server;

import com.google.protobuf.ByteString;
import dev.hearth.protocol.MessageKind;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.ProtocolViolationException;
import dev.hearth.protocol.framing.EncodedFrame;
import dev.hearth.protocol.framing.EnvelopeEncoder;
import dev.hearth.protocol.framing.HearthFrameDecoder;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.session.Disconnects;
import dev.hearth.protocol.session.HelloSignatures;
import dev.hearth.protocol.wire.Challenge;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Heartbeat;
import dev.hearth.protocol.wire.Hello;
import dev.hearth.protocol.wire.Leave;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.Reject;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/// The coordinator's end of one connection: runs the Hello → Challenge → ChallengeResponse handshake, then
/// hands the authenticated [Peer] and its messages to the [PeerHandler]. One instance per channel.
final class ServerSessionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ServerSessionHandler.class);

    /// Before authentication the coordinator accepts only the two handshake messages from a node.
    static final Set<MessageKind> BEFORE_AUTHENTICATION = EnumSet.of(MessageKind.HELLO, MessageKind.CHALLENGE_RESPONSE);

    /// Retry-after for a node whose handshake failed: wrong version or key will not fix itself.
    private static final int DO_NOT_RETRY = 0;

    private enum State { AWAITING_HELLO, AWAITING_RESPONSE, AUTHENTICATED, CLOSED }

    /// User event fired by [HearthServer#close()]: say goodbye with `Leave` and close.
    static final Object SHUTDOWN = new Object();
    static final String SHUTDOWN_REASON = "the coordinator is shutting down";

    private final PeerHandler handler;
    private final byte[] certificateFingerprint;
    private final HearthFrameDecoder frameDecoder;
    private final SecureRandom random;
    private final Clock clock;
    /// Lines about connections that are not authenticated (a flood can cause them at will): rate-limited.
    private final RateLimitedLog unauthenticatedLog;

    private State state = State.AWAITING_HELLO;
    private Hello hello;
    private byte[] nonce;
    private ChannelPeer peer;
    private volatile String closeReason;
    private ScheduledFuture<?> handshakeTimer;

    ServerSessionHandler(PeerHandler handler, byte[] certificateFingerprint, HearthFrameDecoder frameDecoder,
                         SecureRandom random, Clock clock) {
        this(handler, certificateFingerprint, frameDecoder, random, clock, RateLimitedLog.unauthenticated(LOG));
    }

    ServerSessionHandler(PeerHandler handler, byte[] certificateFingerprint, HearthFrameDecoder frameDecoder,
                         SecureRandom random, Clock clock, RateLimitedLog unauthenticatedLog) {
        this.unauthenticatedLog = unauthenticatedLog;
        this.handler = handler;
        this.certificateFingerprint = certificateFingerprint.clone();
        this.frameDecoder = frameDecoder;
        this.random = random;
        this.clock = clock;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            startHandshakeTimer(ctx); // added to an already active channel: channelActive will not come
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        startHandshakeTimer(ctx);
        ctx.fireChannelActive();
    }

    private void startHandshakeTimer(ChannelHandlerContext ctx) {
        if (handshakeTimer != null) {
            return;
        }
        handshakeTimer = ctx.executor().schedule(() -> {
            if (state != State.AUTHENTICATED && state != State.CLOSED) {
                String reason = "handshake not completed within " + ProtocolLimits.HANDSHAKE_TIMEOUT.toSeconds() + " s";
                unauthenticatedLog.log("closing " + ctx.channel().remoteAddress() + ": " + reason);
                closeWith(ctx, reason);
            }
        }, ProtocolLimits.HANDSHAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.CLOSED) {
            return;
        }
        Envelope envelope = (Envelope) msg;
        switch (state) {
            case AWAITING_HELLO -> onHello(ctx, envelope);
            case AWAITING_RESPONSE -> onChallengeResponse(ctx, envelope);
            case AUTHENTICATED -> onApplicationMessage(ctx, envelope);
            case CLOSED -> { }
        }
    }

    private void onHello(ChannelHandlerContext ctx, Envelope envelope) {
        if (!envelope.hasHello()) {
            throw new ProtocolViolationException("expected Hello first, got " + envelope.getPayloadCase());
        }
        Hello received = envelope.getHello();
        if (received.getProtocolVersion() != ProtocolLimits.PROTOCOL_VERSION) {
            reject(ctx, "This node speaks Hearth protocol version " + received.getProtocolVersion()
                    + " but the coordinator speaks version " + ProtocolLimits.PROTOCOL_VERSION
                    + ". Update Hearth on this computer to join the run.", DO_NOT_RETRY);
            return;
        }
        try {
            NodeIdentity.parsePublicKey(received.getNodePublicKey().toByteArray());
        } catch (IllegalArgumentException e) {
            reject(ctx, "The node's public key is not a valid Ed25519 key (" + e.getMessage() + ").", DO_NOT_RETRY);
            return;
        }
        hello = received;
        nonce = new byte[ProtocolLimits.NONCE_BYTES];
        random.nextBytes(nonce);
        state = State.AWAITING_RESPONSE;
        ctx.writeAndFlush(Envelope.newBuilder()
                .setChallenge(Challenge.newBuilder().setNonce(ByteString.copyFrom(nonce))).build());
    }

    private void onChallengeResponse(ChannelHandlerContext ctx, Envelope envelope) {
        if (!envelope.hasChallengeResponse()) {
            throw new ProtocolViolationException("expected ChallengeResponse, got " + envelope.getPayloadCase());
        }
        byte[] used = nonce;
        nonce = null; // single use, whatever the outcome
        byte[] publicKey = hello.getNodePublicKey().toByteArray();
        byte[] signature = envelope.getChallengeResponse().getSignature().toByteArray();
        if (!HelloSignatures.verify(publicKey, used, certificateFingerprint, signature)) {
            reject(ctx, "The challenge signature does not verify against the node's public key.", DO_NOT_RETRY);
            return;
        }
        state = State.AUTHENTICATED;
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        frameDecoder.allow(MessageKind.receivableBy(MessageKind.Sender.COORDINATOR));
        peer = new ChannelPeer(ctx.channel(), hello, publicKey);
        LOG.info("node {} authenticated from {}", peer.nodeId(), ctx.channel().remoteAddress());
        callApplication(ctx, () -> handler.onAuthenticated(peer, hello));
    }

    private void onApplicationMessage(ChannelHandlerContext ctx, Envelope envelope) {
        if (envelope.hasHello() || envelope.hasChallengeResponse()) {
            throw new ProtocolViolationException(envelope.getPayloadCase() + " after authentication "
                    + "(a replayed or reused challenge response)");
        }
        callApplication(ctx, () -> handler.onMessage(peer, envelope));
    }

    private void callApplication(ChannelHandlerContext ctx, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.error("peer handler failed for {}; closing the connection", peer.nodeId(), e);
            closeWith(ctx, "internal error in the coordinator");
        }
    }

    private void reject(ChannelHandlerContext ctx, String reason, int retryAfterSeconds) {
        unauthenticatedLog.log("rejecting " + ctx.channel().remoteAddress() + ": " + reason);
        closeReason = "rejected: " + reason;
        state = State.CLOSED;
        ctx.writeAndFlush(Envelope.newBuilder().setReject(
                        Reject.newBuilder().setReason(reason).setRetryAfterSeconds(retryAfterSeconds)).build())
                .addListener(ChannelFutureListener.CLOSE);
    }

    private void closeWith(ChannelHandlerContext ctx, String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        state = State.CLOSED;
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == SHUTDOWN) {
            if (closeReason == null) {
                closeReason = SHUTDOWN_REASON;
            }
            state = State.CLOSED;
            ctx.writeAndFlush(Envelope.newBuilder().setLeave(Leave.newBuilder().setReason(SHUTDOWN_REASON)).build())
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (event instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE && !ctx.channel().config().isAutoRead()) {
                // reading is paused by back-pressure (OutboundBudget): its drain timeout decides, not silence
            } else if (idle.state() == IdleState.READER_IDLE) {
                String line = "closing " + ctx.channel().remoteAddress() + ": nothing received for "
                        + ProtocolLimits.READ_IDLE_TIMEOUT.toSeconds() + " s";
                if (state == State.AUTHENTICATED) {
                    LOG.info("{}", line);
                } else {
                    unauthenticatedLog.log(line);
                }
                closeWith(ctx, "no message for " + ProtocolLimits.READ_IDLE_TIMEOUT.toSeconds() + " s");
            } else if (idle.state() == IdleState.WRITER_IDLE && state == State.AUTHENTICATED) {
                ctx.writeAndFlush(Envelope.newBuilder().setHeartbeat(Heartbeat.newBuilder()
                        .setUnixMillis(clock.millis()).setState(NodeState.NODE_STATE_UNSPECIFIED)).build());
            }
        } else if (event instanceof SslHandshakeCompletionEvent tls && !tls.isSuccess()) {
            String reason = Disconnects.describe(tls.cause());
            if (state != State.CLOSED) {
                unauthenticatedLog.log("closing " + ctx.channel().remoteAddress() + ": " + reason);
            }
            closeWith(ctx, reason);
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (peer != null) {
            boolean writable = ctx.channel().isWritable();
            callApplication(ctx, () -> handler.onWritabilityChanged(peer, writable));
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String reason = Disconnects.describe(cause);
        if (state == State.AUTHENTICATED) {
            LOG.warn("closing connection from {}: {}", ctx.channel().remoteAddress(), reason);
        } else if (state != State.CLOSED) {
            unauthenticatedLog.log("closing connection from " + ctx.channel().remoteAddress() + ": " + reason);
        }
        closeWith(ctx, reason);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (peer != null) {
            String reason = closeReason != null ? closeReason : "connection closed by the node";
            LOG.info("node {} disconnected: {}", peer.nodeId(), reason);
            try {
                handler.onClosed(peer, reason);
            } catch (RuntimeException e) {
                LOG.error("peer handler failed in onClosed for {}", peer.nodeId(), e);
            }
        }
        ctx.fireChannelInactive();
    }

    /// The [Peer] view of an authenticated channel.
    private final class ChannelPeer implements Peer {
        private final Channel channel;
        private final Hello hello;
        private final byte[] publicKey;
        private final String nodeId;
        private final OutboundBudget output;

        ChannelPeer(Channel channel, Hello hello, byte[] publicKey) {
            this.channel = channel;
            this.output = OutboundBudget.standard(channel, this::tooSlow);
            this.hello = hello;
            this.publicKey = publicKey;
            this.nodeId = NodeIdentity.nodeIdOf(publicKey);
        }

        @Override
        public String nodeId() {
            return nodeId;
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }

        @Override
        public Hello hello() {
            return hello;
        }

        @Override
        public SocketAddress remoteAddress() {
            return channel.remoteAddress();
        }

        @Override
        public boolean send(Envelope envelope) {
            EnvelopeEncoder.checkedFrameLength(envelope);
            return write(envelope, MessageKind.of(envelope));
        }

        @Override
        public boolean send(EncodedFrame frame) {
            return write(frame.newBuffer(), frame.kind());
        }

        private boolean write(Object message, MessageKind kind) {
            if (!channel.isActive()) {
                ReferenceCountUtil.release(message);
                return false;
            }
            long bytes = message instanceof io.netty.buffer.ByteBuf b ? b.readableBytes()
                    : EnvelopeEncoder.checkedFrameLength((Envelope) message) + 4L;
            if (!output.reserve(bytes)) {
                ReferenceCountUtil.release(message);
                return false;
            }
            channel.writeAndFlush(message).addListener(future -> {
                output.release(bytes);
                if (!future.isSuccess() && channel.isActive()) {
                    LOG.warn("sending {} to node {} failed: {}", kind, nodeId, Disconnects.describe(future.cause()));
                }
            });
            return true;
        }

        /// Closes the connection because the node does not read what it is sent ([OutboundBudget]).
        private void tooSlow(String reason) {
            closeReason = reason;
            LOG.warn("closing node {}: {}", nodeId, reason);
            channel.close();
        }

        @Override
        public boolean isWritable() {
            return channel.isWritable();
        }

        @Override
        public boolean isOpen() {
            return channel.isActive();
        }

        @Override
        public void reject(String reason, int retryAfterSeconds) {
            closeReason = "rejected: " + reason;
            channel.writeAndFlush(Envelope.newBuilder().setReject(
                            Reject.newBuilder().setReason(reason).setRetryAfterSeconds(retryAfterSeconds)).build())
                    .addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void close(String reason) {
            closeReason = "closed by the coordinator: " + reason;
            channel.writeAndFlush(Envelope.newBuilder().setLeave(Leave.newBuilder().setReason(reason)).build())
                    .addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public String toString() {
            return "Peer[" + nodeId.substring(0, 12) + "… at " + channel.remoteAddress() + "]";
        }
    }
}
