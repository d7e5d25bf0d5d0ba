package dev.hearth.coordinator.config;

import java.time.Duration;

/// `[storage]` with `kind = "s3"`: a bucket behind the S3 API (AWS S3, Cloudflare R2, Ceph RGW, MinIO, …) that holds
/// the run's bulk bytes, which nodes fetch through presigned GET URLs instead of through the coordinator.
///
/// @param endpoint     the S3 endpoint (`https://<account>.r2.cloudflarestorage.com`); empty = AWS for `region`
/// @param region       the signing region (`auto` for R2)
/// @param bucket       the bucket (it must exist)
/// @param prefix       key prefix inside the bucket, e.g. `runs/my-run/`
/// @param accessKeyEnv environment variable holding the access key id
/// @param secretKeyEnv environment variable holding the secret access key
/// @param pathStyle    address the bucket as `endpoint/bucket` (MinIO, s3proxy) instead of `bucket.endpoint`
/// @param urlExpiry    how long a presigned URL stays valid
public record ObjectStorage(String endpoint, String region, String bucket, String prefix, String accessKeyEnv,
                            String secretKeyEnv, boolean pathStyle, Duration urlExpiry) {

    /// 60 min: a node behind a slow line fetches a checkpoint well within it; a leaked URL is dead by tomorrow.
    public static final Duration DEFAULT_URL_EXPIRY = Duration.ofMinutes(60);

    /// The credentials from the environment (or, for a service manager or a test that cannot set the environment,
    /// a JVM system property of the same name).
    ///
    /// @throws ConfigException naming the variable that is not set
    public String[] credentials() {
        String ak = System.getenv().getOrDefault(accessKeyEnv, System.getProperty(accessKeyEnv));
        String sk = System.getenv().getOrDefault(secretKeyEnv, System.getProperty(secretKeyEnv));
        if (ak == null || sk == null) {
            throw new ConfigException("[storage] access_key_env / secret_key_env name " + accessKeyEnv + " and "
                    + secretKeyEnv + "; " + (ak == null ? accessKeyEnv : secretKeyEnv) + " is not set in the"
                    + " coordinator's environment");
        }
        return new String[] {ak, sk};
    }
}
