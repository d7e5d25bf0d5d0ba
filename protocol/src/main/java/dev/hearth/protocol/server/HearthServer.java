package dev.hearth.protocol.server;

import dev.hearth.protocol.ProtocolLimits;
import dev.hearth.protocol.RunAddress;
import dev.hearth.protocol.framing.Framing;
import dev.hearth.protocol.framing.HearthFrameDecoder;
import dev.hearth.protocol.framing.PipelineNames;
import dev.hearth.protocol.tls.TlsContexts;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/// The coordinator's listening socket: TLS 1.3, framing with per-kind limits, timeouts, rate limit and the
/// challenge handshake; authenticated peers go to a [PeerHandler].
///
/// ```java
/// try (HearthServer server = HearthServer.start(ServerConfig.loopback(0, cert), handler)) {
///     RunAddress address = server.runAddress("127.0.0.1");
/// }
/// ```
public final class HearthServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HearthServer.class);
    /// 1 thread accepts connections; accepting is cheap.
    private static final int ACCEPT_THREADS = 1;
    /// 5 s: how long close() waits for the event loops to finish.
    private static final long SHUTDOWN_TIMEOUT_MILLIS = 5_000;

    private final ServerConfig config;
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup workerGroup;
    private final Channel serverChannel;
    private final ChannelGroup connections;

    private HearthServer(ServerConfig config, EventLoopGroup acceptGroup, EventLoopGroup workerGroup,
                         Channel serverChannel, ChannelGroup connections) {
        this.config = config;
        this.connections = connections;
        this.acceptGroup = acceptGroup;
        this.workerGroup = workerGroup;
        this.serverChannel = serverChannel;
    }

    /// Binds and starts serving.
    ///
    /// @throws IllegalStateException when the address cannot be bound (port in use, no such interface)
    public static HearthServer start(ServerConfig config, PeerHandler handler) {
        return start(config, handler, RateLimitedLog.unauthenticated(LOG));
    }

    /// As [#start(ServerConfig, PeerHandler)], with the log for unauthenticated connections given (tests drive
    /// its clock).
    static HearthServer start(ServerConfig config, PeerHandler handler, RateLimitedLog unauthenticatedLog) {
        SslContext tls = TlsContexts.server(config.certificate());
        byte[] fingerprint = config.certificate().fingerprint();
        SecureRandom random = new SecureRandom();
        AtomicInteger openConnections = new AtomicInteger();
        ChannelGroup connections = new DefaultChannelGroup("hearth-connections", GlobalEventExecutor.INSTANCE);
        EventLoopGroup acceptGroup = new MultiThreadIoEventLoopGroup(ACCEPT_THREADS,
                new DefaultThreadFactory("hearth-server-accept"), NioIoHandler.newFactory());
        EventLoopGroup workerGroup = new MultiThreadIoEventLoopGroup(config.workerThreads(),
                new DefaultThreadFactory("hearth-server-io"), NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptGroup, workerGroup)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        ProtocolLimits.WRITE_BUFFER_LOW_WATER_MARK_BYTES,
                        ProtocolLimits.WRITE_BUFFER_HIGH_WATER_MARK_BYTES))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        int open = openConnections.incrementAndGet();
                        channel.closeFuture().addListener(f -> openConnections.decrementAndGet());
                        if (open > config.maxConnections()) {
                            unauthenticatedLog.log("refusing " + channel.remoteAddress() + ": " + (open - 1)
                                    + " connections already open (limit " + config.maxConnections() + ")");
                            channel.close();
                            return;
                        }
                        connections.add(channel);
                        SslHandler sslHandler = tls.newHandler(channel.alloc());
                        sslHandler.setHandshakeTimeoutMillis(ProtocolLimits.HANDSHAKE_TIMEOUT.toMillis());
                        channel.pipeline().addLast(PipelineNames.TLS, sslHandler);
                        HearthFrameDecoder frameDecoder = Framing.install(channel.pipeline(), "coordinator",
                                ServerSessionHandler.BEFORE_AUTHENTICATION);
                        channel.pipeline().addLast(PipelineNames.SESSION, new ServerSessionHandler(
                                handler, fingerprint, frameDecoder, random, config.clock(), unauthenticatedLog));
                    }
                });
        try {
            Channel channel = bootstrap.bind(config.bindAddress(), config.port()).sync().channel();
            HearthServer server = new HearthServer(config, acceptGroup, workerGroup, channel, connections);
            LOG.info("Hearth coordinator listening on {} (certificate sha256={})", channel.localAddress(),
                    config.certificate().fingerprintHex());
            return server;
        } catch (Exception e) {
            acceptGroup.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            workerGroup.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot listen on " + config.bindAddress().getHostAddress() + ":"
                    + config.port() + ": " + e.getMessage(), e);
        }
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /// The bound port (the ephemeral one when configured with port 0).
    public int port() {
        return localAddress().getPort();
    }

    public String fingerprintHex() {
        return config.certificate().fingerprintHex();
    }

    /// The address nodes use to join: `hearth://advertisedHost:port#sha256=...`.
    public RunAddress runAddress(String advertisedHost) {
        return new RunAddress(advertisedHost, port(), fingerprintHex());
    }

    /// Number of open connections (authenticated or still in the handshake).
    public int connectionCount() {
        return connections.size();
    }

    /// Stops listening, sends every connection `Leave` ("the coordinator is shutting down") and closes it, then
    /// waits (bounded) for the event loops to stop. Nodes reconnect with backoff.
    @Override
    public void close() {
        serverChannel.close().awaitUninterruptibly(SHUTDOWN_TIMEOUT_MILLIS);
        for (Channel channel : connections) {
            channel.pipeline().fireUserEventTriggered(ServerSessionHandler.SHUTDOWN);
        }
        connections.newCloseFuture().awaitUninterruptibly(SHUTDOWN_TIMEOUT_MILLIS);
        workerGroup.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(SHUTDOWN_TIMEOUT_MILLIS);
        acceptGroup.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .awaitUninterruptibly(SHUTDOWN_TIMEOUT_MILLIS);
    }
}
