package dev.hearth.coordinator.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/// A loopback TCP proxy between nodes and a coordinator that injects network faults on demand: added latency,
/// a slow reader (the node side drains the coordinator's bytes at a capped rate), a connection cut in the middle
/// of a frame, and dropping every connection at once. TLS passes through untouched (the node still pins the
/// coordinator's certificate), so the faults hit the real framing and session code.
public final class FaultProxy implements AutoCloseable {

    /// Bytes per read: small enough that a cut lands inside a frame (a RoundCommit of `nano` is ~220 KB).
    static final int CHUNK_BYTES = 8 << 10;

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicBoolean cutNextDownstreamChunk = new AtomicBoolean();
    private final AtomicInteger cuts = new AtomicInteger();
    private volatile long delayMillis;
    private volatile long downstreamBytesPerSecond;
    private volatile boolean closed;

    private FaultProxy(ServerSocket server, InetSocketAddress upstream) {
        this.server = server;
        this.upstream = upstream;
        Thread accept = new Thread(this::acceptLoop, "fault-proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    /// Listens on a free loopback port and forwards to `upstream`.
    public static FaultProxy start(InetSocketAddress upstream) throws IOException {
        return new FaultProxy(new ServerSocket(0, 16, InetAddress.getLoopbackAddress()), upstream);
    }

    public int port() {
        return server.getLocalPort();
    }

    /// Connections accepted so far (a reconnecting node adds one each time).
    public int connections() {
        return connections.get();
    }

    /// Cuts done so far by {@link #cutMidFrame()}.
    public int cuts() {
        return cuts.get();
    }

    /// Adds this latency to every chunk in both directions (0 = none).
    public void delay(long millis) {
        this.delayMillis = millis;
    }

    /// Caps the coordinator → node rate (0 = no cap): the node side reads slowly, so the coordinator's writes back up.
    public void slowReader(long bytesPerSecond) {
        this.downstreamBytesPerSecond = bytesPerSecond;
    }

    /// The next coordinator → node chunk is forwarded by half, then the connection is cut (mid-frame).
    public void cutMidFrame() {
        cutNextDownstreamChunk.set(true);
    }

    /// Closes every open connection at once (a network drop); new connections are accepted as before.
    public void dropAll() {
        for (Socket s : open) closeQuietly(s);
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket up = new Socket();
                try {
                    up.connect(upstream, 5_000);
                } catch (IOException e) {
                    closeQuietly(client);
                    continue;
                }
                connections.incrementAndGet();
                client.setTcpNoDelay(true);
                up.setTcpNoDelay(true);
                open.add(client);
                open.add(up);
                pump(client, up, false);
                pump(up, client, true);
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean downstream) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[CHUNK_BYTES];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (delayMillis > 0) Thread.sleep(delayMillis);
                    if (downstream && n > 1 && cutNextDownstreamChunk.compareAndSet(true, false)) {
                        out.write(buf, 0, n / 2);
                        out.flush();
                        cuts.incrementAndGet();
                        break;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    long rate = downstream ? downstreamBytesPerSecond : 0;
                    if (rate > 0) Thread.sleep(Math.max(1, n * 1000L / rate));
                }
            } catch (IOException | InterruptedException e) {
                // the other side closed, or a fault closed it: close both below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, downstream ? "fault-proxy-down" : "fault-proxy-up");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing a broken socket
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        dropAll();
    }
}
