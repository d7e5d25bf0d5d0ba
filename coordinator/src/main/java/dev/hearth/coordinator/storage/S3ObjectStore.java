package dev.hearth.coordinator.storage;

import dev.hearth.coordinator.config.ObjectStorage;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;

/// A bucket behind the S3 API, through the AWS SDK for Java v2: the coordinator writes the run's bulk bytes here and
/// hands nodes presigned GET URLs, so those bytes never pass through the coordinator process.
///
/// Request checksums are computed and response checksums validated only `WHEN_REQUIRED`: the SDK's default
/// (CRC32 trailers on every upload since 2.30) is refused by several S3-compatible stores (R2, older MinIO and Ceph,
/// s3proxy), and Hearth checks every byte against its own SHA-256 manifests anyway. The HTTP client is the JDK's
/// `URLConnection` (no second Netty beside the protocol's, no Apache HttpClient).
public final class S3ObjectStore implements AutoCloseable {

    private final ObjectStorage config;
    private final S3Client client;
    private final S3Presigner presigner;

    private S3ObjectStore(ObjectStorage config, S3Client client, S3Presigner presigner) {
        this.config = config;
        this.client = client;
        this.presigner = presigner;
    }

    /// Connects (lazily: nothing is sent until the first call) with the keys from the environment.
    public static S3ObjectStore open(ObjectStorage config) {
        String[] keys = config.credentials();
        return open(config, keys[0], keys[1]);
    }

    /// Connects with the given keys (tests; the coordinator reads them from the environment).
    public static S3ObjectStore open(ObjectStorage config, String accessKey, String secretKey) {
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
        var s3 = S3Configuration.builder().pathStyleAccessEnabled(config.pathStyle()).build();
        var client = S3Client.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(s3)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(UrlConnectionHttpClient.builder());
        var presigner = S3Presigner.builder()
                .region(Region.of(config.region()))
                .credentialsProvider(credentials)
                .serviceConfiguration(s3);
        if (!config.endpoint().isEmpty()) {
            client.endpointOverride(URI.create(config.endpoint()));
            presigner.endpointOverride(URI.create(config.endpoint()));
        }
        return new S3ObjectStore(config, client.build(), presigner.build());
    }

    /// The full key of `name` under the run's prefix.
    public String key(String name) {
        return config.prefix() + name;
    }

    /// Writes an object (replacing one of the same key).
    ///
    /// @throws StorageException naming the bucket and key
    public void put(String name, byte[] bytes) {
        try {
            client.putObject(PutObjectRequest.builder().bucket(config.bucket()).key(key(name))
                    .contentLength((long) bytes.length).build(), RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw new StorageException("cannot write s3://" + config.bucket() + "/" + key(name) + ": " + e.getMessage(), e);
        }
    }

    /// True when the object exists.
    public boolean exists(String name) {
        try {
            client.headObject(HeadObjectRequest.builder().bucket(config.bucket()).key(key(name)).build());
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) return false;
            throw new StorageException("cannot look up s3://" + config.bucket() + "/" + key(name) + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new StorageException("cannot look up s3://" + config.bucket() + "/" + key(name) + ": " + e.getMessage(), e);
        }
    }

    /// Reads a whole object (tests and tools; nodes use [#presignGet]).
    public byte[] get(String name) {
        try {
            return client.getObjectAsBytes(GetObjectRequest.builder().bucket(config.bucket()).key(key(name)).build())
                    .asByteArray();
        } catch (SdkException e) {
            throw new StorageException("cannot read s3://" + config.bucket() + "/" + key(name) + ": " + e.getMessage(), e);
        }
    }

    /// An object under the run's prefix as a listing names it.
    ///
    /// @param name  its name below the run's prefix (what [#put] was given)
    /// @param bytes its size
    public record Listed(String name, long bytes) {
    }

    /// Every object whose name starts with `namePrefix` (below the run's prefix), all pages of the listing.
    ///
    /// @throws StorageException naming the bucket and prefix
    public java.util.List<Listed> list(String namePrefix) {
        try {
            var out = new java.util.ArrayList<Listed>();
            int strip = config.prefix().length();
            client.listObjectsV2Paginator(b -> b.bucket(config.bucket()).prefix(key(namePrefix))).contents()
                    .forEach(o -> out.add(new Listed(o.key().substring(strip), o.size())));
            return out;
        } catch (SdkException e) {
            throw new StorageException("cannot list s3://" + config.bucket() + "/" + key(namePrefix) + ": " + e.getMessage(), e);
        }
    }

    /// A GET URL for `name` that anyone holding it may use until it expires (signed here; nothing is sent).
    public URL presignGet(String name) {
        return presignGet(name, config.urlExpiry());
    }

    public URL presignGet(String name, Duration expiry) {
        return presigner.presignGetObject(GetObjectPresignRequest.builder().signatureDuration(expiry)
                .getObjectRequest(GetObjectRequest.builder().bucket(config.bucket()).key(key(name)).build()).build()).url();
    }

    /// The underlying client (tests create buckets with it).
    public S3Client client() {
        return client;
    }

    @Override
    public void close() {
        presigner.close();
        client.close();
    }
}
