package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.storage.S3ObjectStore;
import dev.hearth.coordinator.storage.S3TestServer;
import dev.hearth.coordinator.storage.StorageWriter;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Storage writes are off the run thread (`StorageWriter`): with the bucket behind a proxy that holds every commit's
/// PUT until the test lets it through, the run commits round after round meanwhile, and no commit is offered for
/// catch-up before its object is in the bucket; then they land in version order. With a proxy that drops every
/// commit PUT, the run goes on too, and the failure is surfaced with the object's key.
class SlowStorageIntegrationTest {

    static final Duration WAIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;
    private S3TestServer s3;

    @BeforeEach
    void startS3() throws Exception {
        s3 = S3TestServer.start(dir.resolve("s3"));
    }

    @AfterEach
    void stopS3() throws Exception {
        s3.close();
    }

    @Test
    void theRunCommitsWhileTheBucketHoldsACommitsWriteAndOffersItOnlyOnceWritten() throws Exception {
        try (CommitGate gate = new CommitGate(URI.create(s3.endpoint()).getPort(), false)) {
            RunConfig config = config("it-slow", 3, s3.toml("it/").replace(s3.endpoint(), gate.endpoint()));
            AtomicLong runVersion = new AtomicLong();
            try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
                 S3ObjectStore bucket = s3.store("it/")) {
                coordinator.onCommit(e -> runVersion.set(e.version()));
                NodeRuntime node = node("trainer");
                try {
                    node.joinRun(coordinator.address().toString());
                    RunTestSupport.await("two versions committed while the first commit's write is held", WAIT,
                            () -> runVersion.get() >= 2);
                    RunTestSupport.await("the proxy holds the write of version 1's commit", WAIT, () -> gate.held.get() >= 1);
                    assertTrue(coordinator.commits().name(1).isEmpty() && coordinator.commits().name(2).isEmpty(),
                            "no commit is offered before it is in the bucket");
                    gate.open.countDown();
                    RunTestSupport.await("both commits written", WAIT,
                            () -> coordinator.commits().name(1).isPresent() && coordinator.commits().name(2).isPresent());
                    var keys = bucket.client().listObjectsV2(b -> b.bucket(S3TestServer.BUCKET).prefix("it/commits/"))
                            .contents().stream().map(o -> o.key()).toList();
                    assertTrue(keys.contains("it/" + coordinator.commits().name(1).orElseThrow())
                            && keys.contains("it/" + coordinator.commits().name(2).orElseThrow()), "in the bucket: " + keys);
                    List<Long> order = gate.commitVersions.stream().distinct().toList();
                    assertEquals(order.stream().sorted().toList(), order, "the commits were written in version order");
                    assertEquals(0, coordinator.storageWriteFailures(), coordinator.lastStorageWriteFailure());
                } finally {
                    gate.open.countDown();
                    node.close();
                }
            }
        }
    }

    @Test
    void aBucketThatRefusesEveryCommitWriteLeavesTheRunGoingAndSaysWhichKeyFailed() throws Exception {
        try (CommitGate gate = new CommitGate(URI.create(s3.endpoint()).getPort(), true)) {
            RunConfig config = config("it-failing", 2, s3.toml("it/").replace(s3.endpoint(), gate.endpoint()));
            CountDownLatch finished = new CountDownLatch(2);
            try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC())) {
                coordinator.onCommit(e -> finished.countDown());
                NodeRuntime node = node("trainer");
                try {
                    node.joinRun(coordinator.address().toString());
                    assertTrue(finished.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS),
                            "the run committed both rounds while its commits could not be written");
                    RunTestSupport.await("the failed write is surfaced", WAIT, () -> coordinator.storageWriteFailures() >= 1);
                    String why = coordinator.lastStorageWriteFailure();
                    assertTrue(why.startsWith("commit of version ") && why.contains("s3://" + S3TestServer.BUCKET
                            + "/it/commits/"), "the failure names the commit and its key: " + why);
                    assertTrue(gate.dropped.get() >= StorageWriter.ATTEMPTS, "every attempt reached the bucket's proxy: "
                            + gate.dropped.get());
                    assertTrue(coordinator.commits().name(1).isEmpty(), "a commit not written is not offered");
                } finally {
                    node.close();
                }
            }
        }
    }

    private RunConfig config(String id, int rounds, String storageToml) throws IOException {
        return RunTestSupport.smallSignRun(dir, id, rounds, 2, "slow storage line ", " for the writer test", storageToml);
    }

    private NodeRuntime node(String name) {
        return RunTestSupport.awayNode(dir.resolve(name));
    }

    /// A TCP proxy in front of s3proxy that forwards bytes unchanged (the presigned URLs name it, so their signatures
    /// hold) except a connection carrying a `PUT` of a commit object: that one is held until [#open] is counted down,
    /// or, when `drop`, closed before a byte of it reaches the bucket (the SDK sees the connection reset).
    static final class CommitGate implements AutoCloseable {

        private static final Pattern HEAD = Pattern.compile("(GET|PUT|HEAD|POST|DELETE) (\\S+) HTTP/1\\.1\\r\\n");
        private static final Pattern COMMIT = Pattern.compile("/commits/(\\d+)-");
        /// 16 KiB: the most of the request stream kept while a head is not yet complete.
        private static final int SNIFF_BYTES = 16 * 1024;

        final CountDownLatch open = new CountDownLatch(1);
        final AtomicInteger held = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();
        /// The version of each commit PUT let through, in the order they reached the bucket.
        final List<Long> commitVersions = new CopyOnWriteArrayList<>();
        private final boolean drop;
        private final int backendPort;
        private final ServerSocket server;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        CommitGate(int backendPort, boolean drop) throws IOException {
            this.backendPort = backendPort;
            this.drop = drop;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().start(this::accept);
        }

        String endpoint() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        private void accept() {
            try {
                while (!server.isClosed()) {
                    Socket client = server.accept();
                    Socket backend = new Socket(InetAddress.getLoopbackAddress(), backendPort);
                    sockets.add(client);
                    sockets.add(backend);
                    Thread.ofVirtual().start(() -> requests(client, backend));
                    Thread.ofVirtual().start(() -> pipe(backend, client));
                }
            } catch (IOException closed) {
                // the proxy was closed
            }
        }

        private void requests(Socket client, Socket backend) {
            StringBuilder pending = new StringBuilder();
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = client.getInputStream(); OutputStream out = backend.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    pending.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    Matcher m = HEAD.matcher(pending);
                    int consumed = 0;
                    while (m.find()) {
                        consumed = m.end();
                        Matcher commit = COMMIT.matcher(m.group(2));
                        if (!m.group(1).equals("PUT") || !commit.find()) continue;
                        if (drop) {
                            dropped.incrementAndGet();
                            return; // closes both before the request reaches the bucket
                        }
                        if (open.getCount() > 0) {
                            held.incrementAndGet();
                            open.await(); // the slow bucket: this write waits until the test lets it through
                        }
                        commitVersions.add(Long.parseLong(commit.group(1)));
                    }
                    pending.delete(0, consumed > 0 ? consumed : Math.max(0, pending.length() - SNIFF_BYTES));
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException closed) {
                // either side closed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeQuietly(client);
                closeQuietly(backend);
            }
        }

        private static void pipe(Socket from, Socket to) {
            byte[] buf = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException closed) {
                // either side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            open.countDown();
            server.close();
            for (Socket s : sockets) s.close();
        }
    }
}
