package dev.hearth.coordinator.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.function.Supplier;

/// The run's read-only dashboard over HTTP, on its own port: `/` (a page with live charts), `/dashboard.js`,
/// `/api/status`, `/api/leaderboard` and the ECharts webjar under `/webjars/`, served from the classpath
/// (no CDN: the page works on an air-gapped demo machine). Only GET and HEAD; everything else is 405.
///
/// Threads: one Netty event loop accepts and parses; requests are answered on a separate single-thread
/// executor (`hearth-dashboard-io`) because the {@link DashboardSource} may block on SQLite. One thread also
/// keeps responses of a pipelining client in request order.
public final class DashboardServer implements AutoCloseable {

    /// Pipeline stage names.
    public static final String CODEC = "http-codec";
    public static final String AGGREGATOR = "http-aggregator";
    public static final String READ_TIMEOUT = "read-timeout";
    public static final String HANDLER = "dashboard-handler";
    /// 16 KiB: the dashboard takes no request bodies; headers of a browser GET fit easily.
    public static final int MAX_REQUEST_BYTES = 16 << 10;
    /// 30 s: a browser polls every few seconds; an idle keep-alive connection longer than this is dropped.
    public static final int READ_TIMEOUT_SECONDS = 30;
    /// 2 s: how long close() waits for connections and a request in progress (a slow ledger query).
    private static final int CLOSE_WAIT_SECONDS = 2;
    /// Where the page and its script live on the classpath.
    static final String RESOURCES = "dev/hearth/coordinator/dashboard/";

    private final EventLoopGroup group;
    private final ExecutorService io;
    private final Channel channel;
    private final ChannelGroup connections;

    private DashboardServer(EventLoopGroup group, ExecutorService io, Channel channel, ChannelGroup connections) {
        this.group = group;
        this.io = io;
        this.channel = channel;
        this.connections = connections;
    }

    /// Starts serving on `host:port` (port 0 picks a free one, see {@link #port()}).
    ///
    /// @param sample a few lines of text from the current model; called per status request, so return a cached
    ///               string (the run refreshes it every N rounds)
    public static DashboardServer start(String host, int port, DashboardSource source, Supplier<String> sample) {
        return start(host, port, source, sample, List::of);
    }

    /// The same, with `devices`: each connected node and what it trains on, in words (called per status request).
    public static DashboardServer start(String host, int port, DashboardSource source, Supplier<String> sample,
                                        Supplier<List<String>> devices) {
        var routes = new DashboardRoutes(source, sample, devices, new ObjectMapper(), pageHtml(),
                resource(RESOURCES + "dashboard.js"));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("hearth-dashboard-net", true),
                NioIoHandler.newFactory());
        ExecutorService io = Executors.newSingleThreadExecutor(new DefaultThreadFactory("hearth-dashboard-io", true));
        ChannelGroup connections = new DefaultChannelGroup("hearth-dashboard", GlobalEventExecutor.INSTANCE);
        try {
            Channel ch = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            connections.add(c);
                            c.pipeline()
                                    .addLast(READ_TIMEOUT, new ReadTimeoutHandler(READ_TIMEOUT_SECONDS))
                                    .addLast(CODEC, new HttpServerCodec())
                                    .addLast(AGGREGATOR, new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                    .addLast(HANDLER, new DashboardHandler(routes, io));
                        }
                    })
                    .bind(new InetSocketAddress(host, port))
                    .syncUninterruptibly()
                    .channel();
            return new DashboardServer(group, io, ch, connections);
        } catch (Exception e) { // bind() rethrows the checked BindException undeclared
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            io.shutdownNow();
            throw new IllegalStateException("cannot start the dashboard on " + host + ":" + port + ": " + e.getMessage()
                    + " (port in use? pick another with --http-port)", e);
        }
    }

    /// The bound port.
    public int port() {
        return localAddress().getPort();
    }

    /// The bound address (the reliability suite asserts it is loopback unless configured otherwise).
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        connections.close().awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        io.shutdown();
        try {
            if (!io.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                io.shutdownNow();
            }
        } catch (InterruptedException e) {
            io.shutdownNow();
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, CLOSE_WAIT_SECONDS, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /// The page, with the path of the ECharts script in the webjar on the classpath filled in.
    static String pageHtml() {
        String html = new String(resource(RESOURCES + "index.html"), StandardCharsets.UTF_8);
        return html.replace("{{ECHARTS}}", "/webjars/echarts/" + echartsVersion() + "/dist/echarts.min.js");
    }

    /// The ECharts webjar's version, from its Maven metadata (so a version bump in the pom needs no code change).
    static String echartsVersion() {
        try (InputStream in = DashboardServer.class.getClassLoader()
                .getResourceAsStream("META-INF/maven/org.webjars.npm/echarts/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the ECharts webjar (org.webjars.npm:echarts) is not on the classpath");
            }
            var p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] resource(String path) {
        try (InputStream in = DashboardServer.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
