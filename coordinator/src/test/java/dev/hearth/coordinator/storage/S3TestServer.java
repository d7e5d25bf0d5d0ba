package dev.hearth.coordinator.storage;

import dev.hearth.coordinator.config.ObjectStorage;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/// A real S3 API server in-process for tests: s3proxy on its filesystem backend, on a free loopback port, checking
/// AWS v4 signatures, with one bucket. The keys are handed to the coordinator through JVM system properties named
/// like the environment variables a real run would use ([ObjectStorage#credentials] reads either).
public final class S3TestServer implements AutoCloseable {

    public static final String ACCESS = "hearth-test-access";
    public static final String SECRET = "hearth-test-secret-key";
    public static final String ACCESS_ENV = "HEARTH_TEST_S3_ACCESS";
    public static final String SECRET_ENV = "HEARTH_TEST_S3_SECRET";
    public static final String BUCKET = "hearth-runs";
    /// 5 s: s3proxy starts Jetty on its own thread in well under a second here.
    private static final int START_POLLS = 500;

    private final S3Proxy proxy;
    private final String endpoint;

    private S3TestServer(S3Proxy proxy, String endpoint) {
        this.proxy = proxy;
        this.endpoint = endpoint;
    }

    /// Starts the server with its objects under `dir` and creates [#BUCKET].
    public static S3TestServer start(Path dir) throws Exception {
        Path root = Files.createDirectories(dir);
        S3Proxy proxy = S3Proxy.builder().blobStore(new FilesystemNio2BlobStore(root.toString()))
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET).build();
        proxy.start();
        for (int i = 0; i < START_POLLS && !"STARTED".equals(proxy.getState()); i++) {
            Thread.sleep(10); // waits for s3proxy's own start-up thread to report STARTED (a state, not a timing)
        }
        if (!"STARTED".equals(proxy.getState())) {
            proxy.stop();
            throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
        }
        System.setProperty(ACCESS_ENV, ACCESS);
        System.setProperty(SECRET_ENV, SECRET);
        S3TestServer server = new S3TestServer(proxy, "http://127.0.0.1:" + proxy.getPort());
        try (S3ObjectStore s = server.store("")) {
            s.client().createBucket(b -> b.bucket(BUCKET));
        }
        return server;
    }

    public String endpoint() {
        return endpoint;
    }

    /// The `[storage]` settings of a run on this server.
    public ObjectStorage storage(String prefix) {
        return new ObjectStorage(endpoint, "us-east-1", BUCKET, prefix, ACCESS_ENV, SECRET_ENV, true, Duration.ofMinutes(10));
    }

    /// The same, as run.toml lines.
    public String toml(String prefix) {
        return """
                [storage]
                kind = "s3"
                endpoint = "%s"
                region = "us-east-1"
                bucket = "%s"
                prefix = "%s"
                access_key_env = "%s"
                secret_key_env = "%s"
                path_style = true
                """.formatted(endpoint, BUCKET, prefix, ACCESS_ENV, SECRET_ENV);
    }

    /// A client of the bucket (tests read, list and alter objects with it).
    public S3ObjectStore store(String prefix) {
        return S3ObjectStore.open(storage(prefix), ACCESS, SECRET);
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
