package dev.hearth.coordinator.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hearth.coordinator.config.RunConfig;
import dev.hearth.coordinator.storage.S3ObjectStore;
import dev.hearth.coordinator.storage.S3TestServer;
import dev.hearth.engine.checkpoint.Checkpoint;
import dev.hearth.node.AwayOwnerProbes;
import dev.hearth.node.NodeRuntime;
import dev.hearth.node.api.LogEntry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/// Issue 17, point 2 (the checkpoint part): with `[storage] kind = "s3"` the coordinator writes the checkpoint to a
/// bucket (a real S3 API server in-process: s3proxy on its filesystem backend, checking AWS v4 signatures) and hands
/// nodes a presigned URL; nodes fetch it by HTTP Range requests, chunk by chunk, each checked against the manifest's
/// SHA-256; the run's data shards are in the bucket too and nodes fetch them there. Measured: the coordinator sends
/// no checkpoint and no shard bytes. A checkpoint altered in the bucket is refused with the reason, and the node fetches
/// it from the coordinator instead.
class ObjectStorageIntegrationTest {

    static final String BUCKET = S3TestServer.BUCKET;

    @TempDir
    Path dir;
    private S3TestServer s3;
    private String endpoint;

    @BeforeEach
    void startS3() throws Exception {
        s3 = S3TestServer.start(dir.resolve("s3"));
        endpoint = s3.endpoint();
    }

    @AfterEach
    void stopS3() throws Exception {
        s3.close();
    }

    @Test
    void presignedRangedDownloadReadsExactlyTheObjectsBytes() throws Exception {
        byte[] object = new byte[3 * 1024 * 1024 + 123];
        new Random(1).nextBytes(object);
        try (S3ObjectStore s = s3.store("it/")) {
            s.put("blob.bin", object);
            URI url = s.presignGet("blob.bin").toURI();
            HttpResponse<byte[]> part = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url)
                    .header("Range", "bytes=1048576-2097151").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, part.statusCode());
            assertArrayEquals(java.util.Arrays.copyOfRange(object, 1 << 20, 2 << 20), part.body());
            HttpResponse<byte[]> unsigned = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(endpoint + "/" + BUCKET + "/it/blob.bin")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(403, unsigned.statusCode(), "the bucket checks signatures: without the presigned query, no bytes");
        }
    }

    @Test
    void nodesFetchTheCheckpointFromStorageAndRefuseOneAlteredThere() throws Exception {
        Path corpus = RunTestSupport.writeCorpus(dir.resolve("text.txt"), 9, 10_000, "bucket line ", " for the storage test");
        RunConfig config = RunConfig.parse("""
                [run]
                id = "it-storage"
                total_rounds = 2
                [data]
                corpus = "%s"
                sequences_per_node = 8
                [optimizer]
                outer = "sign"
                lr_max = 0.003
                lr_min = 0.003
                warmup_rounds = 0
                [validation]
                loss_every_rounds = 0
                spot_check_fraction = 0.0
                [quorum]
                min_nodes = 2
                min_uploads = 2
                [deadline]
                min_seconds = 60
                max_seconds = 120
                [server]
                port = 0
                http_port = 0
                %s""".formatted(corpus.toString().replace("\\", "\\\\"), s3.toml("it/")), "test",
                Map.of("server.data_dir", new RunConfig.Override("data dir", dir.resolve("coordinator"))));
        CountDownLatch committed = new CountDownLatch(2);
        try (CoordinatorService coordinator = CoordinatorService.start(config, Clock.systemUTC());
             S3ObjectStore bucket = s3.store("it/")) {
            coordinator.onCommit(e -> committed.countDown());
            NodeRuntime first = node("first");
            NodeRuntime second = null;
            try {
                var firstDownloaded = RunTestSupport.logged(first, "model version 0 downloaded and verified");
                first.joinRun(coordinator.address().toString());
                firstDownloaded.get(1, TimeUnit.MINUTES);
                assertEquals(0, coordinator.checkpointBytesServed(), "no checkpoint byte went through the coordinator");
                String object;
                var listed = bucket.client().listObjectsV2(b -> b.bucket(BUCKET).prefix("it/checkpoints/")).contents();
                assertEquals(1, listed.size(), listed.toString());
                object = listed.getFirst().key().substring("it/".length());
                byte[] stored = bucket.get(object);
                Checkpoint.decode(stored, "the bucket's checkpoint"); // a whole, valid checkpoint is in the bucket

                byte[] altered = stored.clone();
                altered[altered.length / 2] ^= 0x01; // the second node will be handed this
                bucket.put(object, altered);
                second = node("second");
                var secondDownloaded = RunTestSupport.logged(second, "model version 0 downloaded and verified");
                second.joinRun(coordinator.address().toString());
                secondDownloaded.get(1, TimeUnit.MINUTES);
                NodeRuntime s = second;
                assertTrue(s.recentLog().stream().map(LogEntry::message).anyMatch(m -> m.contains("from storage is refused")
                        && m.contains("does not match its SHA-256")), "the altered chunk was refused with the reason");
                assertTrue(coordinator.checkpointBytesServed() > 0, "the refused part came from the coordinator");
                assertTrue(coordinator.checkpointBytesServed() <= altered.length,
                        "no more than one checkpoint's bytes: " + coordinator.checkpointBytesServed());
                assertTrue(committed.await(3, TimeUnit.MINUTES), "both nodes trained on the verified checkpoint");
                assertEquals(0, coordinator.dataBytesServed(), "the run's shards came from the bucket, not the coordinator");
                var shards = bucket.client().listObjectsV2(b -> b.bucket(BUCKET).prefix("it/datasets/shards/")).contents();
                assertEquals(coordinator.corpus().manifest().shards().size(), shards.size(), "every shard is in the bucket");
            } finally {
                first.close();
                if (second != null) second.close();
            }
        }
    }

    private NodeRuntime node(String name) {
        return NodeRuntime.start(dir.resolve(name), Clock.systemUTC(), true,
                log -> new AwayOwnerProbes("Test machine: training on the CPU."));
    }

}
