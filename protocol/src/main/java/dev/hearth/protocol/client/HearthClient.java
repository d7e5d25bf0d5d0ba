package dev.hearth.protocol.client;

import dev.hearth.protocol.Fingerprints;
import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.framing.EnvelopeEncoder;
import dev.hearth.protocol.framing.Framing;
import dev.hearth.protocol.framing.HearthFrameDecoder;
import dev.hearth.protocol.framing.PipelineNames;
import dev.hearth.protocol.identity.NodeIdentity;
import dev.hearth.protocol.session.Disconnects;
import dev.hearth.protocol.tls.TlsContexts;
import dev.hearth.protocol.wire.Envelope;
import dev.hearth.protocol.wire.Leave;
import dev.hearth.protocol.wire.NodeState;
import dev.hearth.protocol.wire.Welcome;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/// A node's connection to its coordinator: TLS 1.3 pinned to the run address's fingerprint, the signed
/// challenge handshake with a [NodeIdentity], heartbeats, and reconnection with [Backoff] until [#close()].
///
/// ```java
/// HearthClient client = new HearthClient(ClientConfig.of(address, hello), identity, listener);
/// client.start();
/// ...
/// client.send(envelope);
/// client.close();
/// ```
/// Gives up (no reconnect) on a fingerprint mismatch, or a `Reject` with `retry_after_seconds = 0`.
public final class HearthClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HearthClient.class);
    /// 1 thread: a node has one connection.
    private static final int IO_THREADS = 1;
    /// 5 s: how long close() waits for the Leave to go out and the event loop to stop.
    private static final long SHUTDOWN_TIMEOUT_MILLIS = 5_000;

    private final ClientConfig config;
    private final NodeIdentity identity;
    private final ClientListener listener;
    private final EventLoopGroup group;
    /// False when the group was handed in (simulated nodes sharing a few threads): close() leaves it running.
    private final boolean ownsGroup;
    private final SslContext tls;
    private final byte[] pinnedFingerprint;

    private volatile Channel channel;
    private volatile boolean welcomed;
    private volatile boolean closed;
    private volatile boolean started;
    private volatile NodeState nodeState = NodeState.IDLE;
    private int failedAttempts; // event loop only

    public HearthClient(ClientConfig config, NodeIdentity identity, ClientListener listener) {
        this(config, identity, listener, null);
    }

    /// A client on `sharedGroup`'s event loops (the coordinator bench runs thousands of simulated nodes on a few
    /// threads); the caller shuts the group down. Null: a one-thread group of its own, as a node has.
    public HearthClient(ClientConfig config, NodeIdentity identity, ClientListener listener, EventLoopGroup sharedGroup) {
        this.config = config;
        this.identity = identity;
        this.listener = listener;
        this.tls = TlsContexts.client(config.address().fingerprintHex());
        this.pinnedFingerprint = Fingerprints.fromHex(config.address().fingerprintHex());
        this.ownsGroup = sharedGroup == null;
        this.group = sharedGroup != null ? sharedGroup : new MultiThreadIoEventLoopGroup(IO_THREADS,
                new DefaultThreadFactory("hearth-client"), NioIoHandler.newFactory());
    }

    /// Starts connecting (asynchronously); the listener hears the outcome.
    public void start() {
        if (started) {
            throw new IllegalStateException("client already started");
        }
        started = true;
        group.execute(this::connect);
    }

    private void connect() {
        if (closed) {
            return;
        }
        RunAddress address = config.address();
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        ProtocolLimits.WRITE_BUFFER_LOW_WATER_MARK_BYTES,
                        ProtocolLimits.WRITE_BUFFER_HIGH_WATER_MARK_BYTES))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SslHandler sslHandler = tls.newHandler(ch.alloc(), address.host(), address.port());
                        sslHandler.setHandshakeTimeoutMillis(ProtocolLimits.HANDSHAKE_TIMEOUT.toMillis());
                        ch.pipeline().addLast(PipelineNames.TLS, sslHandler);
                        HearthFrameDecoder frameDecoder = Framing.install(ch.pipeline(), "node",
                                ClientSessionHandler.BEFORE_WELCOME);
                        ch.pipeline().addLast(PipelineNames.SESSION, new ClientSessionHandler(identity,
                                config.hello(), pinnedFingerprint, frameDecoder, config.clock(), () -> nodeState,
                                new SessionEvents()));
                    }
                });
        ChannelFuture future = bootstrap.connect(address.host(), address.port());
        channel = future.channel();
        future.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                ended("cannot connect to " + address.host() + ":" + address.port() + ": "
                        + Disconnects.describe(f.cause()), false, -1, false);
            }
        });
    }

    private final class SessionEvents implements ClientSessionHandler.Events {
        @Override
        public void welcomed(ChannelHandlerContext ctx, Welcome welcome) {
            failedAttempts = 0;
            welcomed = true;
            LOG.info("joined run {} as node {}", welcome.getRunId(), identity.nodeId());
            safely(() -> listener.onWelcome(welcome));
        }

        @Override
        public void message(Envelope envelope) {
            safely(() -> listener.onMessage(envelope));
        }

        @Override
        public void ended(String reason, boolean rejected, int retryAfterSeconds, boolean permanent) {
            HearthClient.this.ended(reason, rejected, retryAfterSeconds, permanent);
        }
    }

    private void ended(String reason, boolean rejected, int retryAfterSeconds, boolean permanent) {
        welcomed = false;
        Optional<Duration> reconnectIn = Optional.empty();
        if (closed) {
            reason = "closed by this node";
        } else if (!permanent) {
            failedAttempts++;
            Duration delay = config.backoff().delay(failedAttempts);
            if (retryAfterSeconds > 0 && Duration.ofSeconds(retryAfterSeconds).compareTo(delay) > 0) {
                delay = Duration.ofSeconds(retryAfterSeconds);
            }
            try {
                group.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
                reconnectIn = Optional.of(delay);
            } catch (RejectedExecutionException shuttingDown) {
                reason = reason + " (client closing)"; // close() raced with this disconnect
            }
        }
        LOG.info("disconnected from {}: {}{}", config.address(), reason,
                reconnectIn.map(d -> " (reconnecting in " + d.toMillis() + " ms)").orElse(" (not reconnecting)"));
        Disconnect disconnect = new Disconnect(reason, rejected, reconnectIn);
        safely(() -> listener.onDisconnected(disconnect));
    }

    private void safely(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.error("client listener failed", e);
        }
    }

    /// Sends an envelope if the session is established (Welcome received).
    ///
    /// @return `false` when not connected; the message is not queued for a later session
    /// @throws IllegalArgumentException when the envelope is empty or exceeds its kind's frame limit
    public boolean send(Envelope envelope) {
        EnvelopeEncoder.checkedFrameLength(envelope);
        Channel current = channel;
        if (!welcomed || current == null || !current.isActive()) {
            return false;
        }
        current.writeAndFlush(envelope);
        return true;
    }

    /// Whether a session is established (Welcome received and the connection open).
    public boolean isConnected() {
        Channel current = channel;
        return welcomed && current != null && current.isActive();
    }

    /// `false` while more than [ProtocolLimits#WRITE_BUFFER_HIGH_WATER_MARK_BYTES] wait to be sent.
    public boolean isWritable() {
        Channel current = channel;
        return current != null && current.isWritable();
    }

    /// The state reported in this node's heartbeats.
    public void setState(NodeState state) {
        this.nodeState = state;
    }

    /// Sends `Leave`, closes the connection, stops reconnecting and stops the event loop (bounded wait; no wait
    /// when called from a listener callback).
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Channel current = channel;
        if (current != null && current.isActive()) {
            ChannelFuture leave = welcomed
                    ? current.writeAndFlush(Envelope.newBuilder()
                            .setLeave(Leave.newBuilder().setReason("the node is shutting down")).build())
                    : current.newSucceededFuture();
            leave.addListener(ChannelFutureListener.CLOSE);
            if (!current.eventLoop().inEventLoop()) { // waiting on the loop itself would deadlock
                current.closeFuture().awaitUninterruptibly(SHUTDOWN_TIMEOUT_MILLIS);
            }
        } else if (current != null) {
            current.close(); // a connection attempt still in progress
        }
        if (!ownsGroup) return;
        var shutdown = group.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        if (current == null || !current.eventLoop().inEventLoop()) {
            shutdown.awaitUninterruptibly(SHUTDOWN_TIMEOUT_MILLIS);
        }
    }
}
