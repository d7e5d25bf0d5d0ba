package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.storage.S3ObjectStore;
import dev.hearth.coordinator.storage.S3TestServer;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.LogEntry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 17, point 4 (the storage faults): over the real components (s3proxy in-process, a coordinator and a node
/// over loopback TLS), a checkpoint download cut mid-file by the network resumes from storage at the byte it stopped,
/// and a data shard altered in the bucket is refused by the node with the reason, its good bytes coming from the
/// coordinator instead.
class StorageFaultsIntegrationTest {

    /// 64 KiB: the first checkpoint response is cut this far into its body, well inside a 1 MiB chunk.
    static final int CUT_AFTER_BYTES = 64 * 1024;
    /// 64 KiB: room for the HTTP heads of the node's requests and responses (a few hundred bytes each).
    static final long HEADS_BYTES = 64 * 1024;
    static final int CHUNK_BYTES = 1024 * 1024;

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
    void aCheckpointDownloadCutMidFileResumesFromStorageWhereItStopped() throws Exception {
        URI backend = URI.create(s3.endpoint());
        try (CuttingProxy proxy = new CuttingProxy(backend.getPort())) {
            // The run's storage endpoint is the proxy: presigned URLs name it, and it forwards bytes as they are, so
            // the AWS v4 signatures (over the proxy's host) check out at s3proxy.
            RunConfig config = config("it-resume", s3.toml("it/").replace(s3.endpoint(), proxy.endpoint()));
            try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
                 S3ObjectStore bucket = s3.store("it/")) {
                NodeRuntime node = node("resumer");
                try {
                    var downloaded = RunTestSupport.logged(node, "model version 0 downloaded and verified");
                    node.joinRun(coordinator.address().toString());
                    downloaded.get(2, TimeUnit.MINUTES);
                    assertTrue(proxy.cut.get(), "the proxy cut a checkpoint response mid-body");
                    assertEquals(0, coordinator.checkpointBytesServed(), "no checkpoint byte went through the coordinator");
                    assertFalse(node.recentLog().stream().map(LogEntry::message)
                            .anyMatch(m -> m.contains("from the coordinator instead")), "the node did not fall back");
                    List<Long> starts = proxy.checkpointRangeStarts;
                    assertTrue(starts.stream().anyMatch(s -> s % CHUNK_BYTES != 0),
                            "a Range request resumed inside a chunk, after the bytes already received: " + starts);
                    long checkpoint = objectBytes(bucket, "it/checkpoints/");
                    long shards = objectBytes(bucket, "it/datasets/");
                    long fetched = proxy.nodeBytes.get();
                    assertTrue(fetched >= checkpoint, "the node fetched the whole checkpoint: " + fetched + " < " + checkpoint);
                    assertTrue(fetched <= checkpoint + shards + HEADS_BYTES, "about one checkpoint, not two: "
                            + fetched + " bytes for a checkpoint of " + checkpoint + " and data of " + shards);
                    System.out.printf("resume: checkpoint %d B, data %d B, fetched by the node %d B, range starts %s%n",
                            checkpoint, shards, fetched, starts);
                } finally {
                    node.close();
                }
            }
        }
    }

    @Test
    void aShardAlteredInTheBucketIsRefusedWithTheReasonAndNotTrainedOn() throws Exception {
        RunConfig config = config("it-shard", s3.toml("it/"));
        CountDownLatch committed = new CountDownLatch(1);
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             S3ObjectStore bucket = s3.store("it/")) {
            coordinator.onCommit(e -> committed.countDown());
            var shards = bucket.client().listObjectsV2(b -> b.bucket(S3TestServer.BUCKET).prefix("it/datasets/shards/"))
                    .contents();
            assertFalse(shards.isEmpty(), "the coordinator put the run's shards in the bucket");
            Map<String, byte[]> original = new java.util.HashMap<>();
            for (var shard : shards) { // every shard: whichever the node's batches need is altered
                String key = shard.key().substring("it/".length());
                byte[] altered = bucket.get(key);
                original.put(key.substring(key.lastIndexOf('/') + 1).replace(".tokens", ""), altered.clone());
                altered[altered.length / 2] ^= 0x01;
                bucket.put(key, altered);
            }
            NodeRuntime node = node("refuser");
            try {
                var refused = RunTestSupport.logged(node, "do not match the run's manifest");
                node.joinRun(coordinator.address().toString());
                refused.get(2, TimeUnit.MINUTES);
                assertTrue(committed.await(2, TimeUnit.MINUTES), "the node trained a round on the run's verified data");
                assertTrue(coordinator.dataBytesServed() > 0, "the refused shard's good bytes came from the coordinator");
                List<String> log = node.recentLog().stream().map(LogEntry::message).toList();
                assertTrue(log.stream().anyMatch(m -> m.contains("is refused") && m.contains("do not match the run's manifest")),
                        "the refusal names its reason: " + log);
                // Batches resolve only against the node's shard store: every shard there is the original bytes.
                List<Path> stored;
                try (var files = Files.walk(dir.resolve("refuser"))) {
                    stored = files.filter(f -> f.getFileName().toString().endsWith(".tok")
                            && f.getParent().getFileName().toString().equals("shards")).toList();
                }
                assertFalse(stored.isEmpty(), "the node stored the shards its batches needed");
                for (Path f : stored) {
                    String sha = f.getFileName().toString().replace(".tok", "");
                    byte[] bytes = Files.readAllBytes(f);
                    assertTrue(original.containsKey(sha), "a stored shard the run lists: " + sha + " of " + original.keySet());
                    byte[] run = original.get(sha); // the file is a small header, then the tokens
                    assertArrayEquals(run, java.util.Arrays.copyOfRange(bytes, bytes.length - run.length, bytes.length), "the stored shard " + sha + " is the run's bytes, not the bucket's altered ones");
                }
                assertEquals(0, coordinator.checkpointBytesServed(), "the checkpoint itself came from storage");
            } finally {
                node.close();
            }
        }
    }

    private RunConfig config(String id, String storageToml) throws IOException {
        return RunTestSupport.smallSignRun(dir, id, 1, 8, "storage fault line ", " for the resume test", storageToml);
    }

    private static long objectBytes(S3ObjectStore bucket, String prefix) {
        return bucket.client().listObjectsV2(b -> b.bucket(S3TestServer.BUCKET).prefix(prefix)).contents().stream()
                .mapToLong(o -> o.size()).sum();
    }

    private NodeRuntime node(String name) {
        return RunTestSupport.awayNode(dir.resolve(name));
    }

    /// A TCP proxy in front of s3proxy that forwards bytes unchanged, reads the request heads going through (method,
    /// path, Range, User-Agent), counts the bytes sent back to the node's HTTP client (the JDK's, not the coordinator's
    /// AWS SDK), and closes the first connection that carries a ranged checkpoint GET once [#CUT_AFTER_BYTES] of its
    /// response have gone through.
    static final class CuttingProxy implements AutoCloseable {

        private static final Pattern HEAD = Pattern.compile("(GET|PUT|HEAD|POST|DELETE) (\\S+) HTTP/1\\.1\\r\\n(.*?)\\r\\n\\r\\n",
                Pattern.DOTALL);
        private static final Pattern RANGE = Pattern.compile("(?im)^range: bytes=(\\d+)-");
        /// 16 KiB: the most of the request stream kept while a head is not yet complete.
        private static final int SNIFF_BYTES = 16 * 1024;

        final AtomicBoolean cut = new AtomicBoolean();
        final AtomicLong nodeBytes = new AtomicLong();
        final List<Long> checkpointRangeStarts = new CopyOnWriteArrayList<>();
        private final int backendPort;
        private final ServerSocket server;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        CuttingProxy(int backendPort) throws IOException {
            this.backendPort = backendPort;
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
                    Connection c = new Connection(client, backend);
                    Thread.ofVirtual().start(c::requests);
                    Thread.ofVirtual().start(c::responses);
                }
            } catch (IOException closed) {
                // the proxy was closed
            }
        }

        private final class Connection {
            private final Socket client;
            private final Socket backend;
            private volatile boolean node;
            /// Response bytes from which the cut counts; -1 while this connection is not armed.
            private volatile long armedAt = -1;
            private long responseBytes;

            Connection(Socket client, Socket backend) {
                this.client = client;
                this.backend = backend;
            }

            void requests() {
                StringBuilder pending = new StringBuilder();
                byte[] buf = new byte[16 * 1024];
                try (InputStream in = client.getInputStream(); OutputStream out = backend.getOutputStream()) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        pending.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                        Matcher m = HEAD.matcher(pending);
                        int consumed = 0;
                        while (m.find()) {
                            head(m.group(1), m.group(2), m.group(3));
                            consumed = m.end();
                        }
                        pending.delete(0, consumed > 0 ? consumed : Math.max(0, pending.length() - SNIFF_BYTES));
                        out.write(buf, 0, n); // after the head is read: an armed cut counts this request's response
                        out.flush();
                    }
                } catch (IOException closed) {
                    // either side closed
                } finally {
                    closeBoth();
                }
            }

            private void head(String method, String path, String headers) {
                if (headers.toLowerCase(java.util.Locale.ROOT).contains("user-agent: java-http-client")) node = true;
                Matcher range = RANGE.matcher(headers);
                if (method.equals("GET") && path.contains("/checkpoints/") && range.find()) {
                    checkpointRangeStarts.add(Long.parseLong(range.group(1)));
                    synchronized (this) {
                        if (!cut.get() && armedAt < 0) armedAt = responseBytes;
                    }
                }
            }

            void responses() {
                byte[] buf = new byte[16 * 1024];
                try (InputStream in = backend.getInputStream(); OutputStream out = client.getOutputStream()) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        int send = n;
                        boolean cutNow = false;
                        synchronized (this) {
                            if (armedAt >= 0 && responseBytes + n - armedAt >= CUT_AFTER_BYTES && cut.compareAndSet(false, true)) {
                                send = (int) (armedAt + CUT_AFTER_BYTES - responseBytes);
                                cutNow = true;
                            }
                            responseBytes += send;
                        }
                        if (node) nodeBytes.addAndGet(send);
                        out.write(buf, 0, Math.max(0, send));
                        out.flush();
                        if (cutNow) return; // closes both: the node's response stops mid-body
                    }
                } catch (IOException closed) {
                    // either side closed
                } finally {
                    closeBoth();
                }
            }

            private void closeBoth() {
                try {
                    client.close();
                } catch (IOException ignored) {
                    // already closed
                }
                try {
                    backend.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) s.close();
        }
    }
}
