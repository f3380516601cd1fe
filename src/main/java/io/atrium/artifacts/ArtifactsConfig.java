package io.atrium.artifacts;

import static java.util.Objects.requireNonNull;

import io.atrium.config.ConfigException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where artifacts are stored.
 *
 * @param backend {@code local} (a directory, the default) or {@code s3} (an S3-compatible store)
 * @param localRoot the directory of the local backend; each tenant lives in {@code <root>/<tenant id>/}
 * @param s3Bucket bucket of the S3 backend
 * @param s3Prefix key prefix inside the bucket (may be empty); each tenant lives under {@code <prefix>/<tenant id>/}
 * @param s3Endpoint endpoint of an S3-compatible server; empty = AWS
 * @param s3Region signing region
 * @param s3AccessKey static credentials; empty = the SDK's default credential chain
 * @param s3SecretKey static credentials, with {@code s3AccessKey}
 * @param s3PathStyle path-style addressing (most S3-compatible servers need it)
 * @param gcRetentionDays how long artifacts of deleted runs are kept before {@code gc} removes them
 */
public record ArtifactsConfig(
    String backend,
    Path localRoot,
    String s3Bucket,
    String s3Prefix,
    Optional<URI> s3Endpoint,
    String s3Region,
    Optional<String> s3AccessKey,
    Optional<String> s3SecretKey,
    boolean s3PathStyle,
    int gcRetentionDays) {
  public static final String LOCAL = "local";
  public static final String S3 = "s3";
  public static final int DEFAULT_RETENTION_DAYS = 30;

  public ArtifactsConfig {
    requireNonNull(backend, "backend");
    requireNonNull(localRoot, "localRoot");
    s3Bucket = s3Bucket == null ? "" : s3Bucket;
    s3Prefix = s3Prefix == null ? "" : trimSlashes(s3Prefix);
    requireNonNull(s3Endpoint, "s3Endpoint");
    s3Region = s3Region == null || s3Region.isBlank() ? "us-east-1" : s3Region;
    requireNonNull(s3AccessKey, "s3AccessKey");
    requireNonNull(s3SecretKey, "s3SecretKey");
    if (!backend.equals(LOCAL) && !backend.equals(S3)) {
      throw new ConfigException("artifact backend must be 'local' or 's3', got '" + backend + "'");
    }
    if (backend.equals(S3) && s3Bucket.isBlank()) {
      throw new ConfigException("the s3 artifact backend needs a bucket (ATRIUM_S3_BUCKET)");
    }
    if (s3AccessKey.isPresent() != s3SecretKey.isPresent()) {
      throw new ConfigException("set both ATRIUM_S3_ACCESS_KEY and ATRIUM_S3_SECRET_KEY, or neither");
    }
    if (gcRetentionDays < 0 || gcRetentionDays > 36_500) {
      throw new ConfigException("artifact retention days must be 0..36500, got " + gcRetentionDays);
    }
  }

  /** The default: a local directory, 30 days of retention for deleted runs' artifacts. */
  public static ArtifactsConfig local(Path root) {
    return new ArtifactsConfig(LOCAL, root, "", "", Optional.empty(), "us-east-1", Optional.empty(), Optional.empty(),
        true, DEFAULT_RETENTION_DAYS);
  }

  public boolean isS3() {
    return backend.equals(S3);
  }

  private static String trimSlashes(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && s.charAt(b) == '/') {
      b++;
    }
    while (e > b && s.charAt(e - 1) == '/') {
      e--;
    }
    return s.substring(b, e);
  }
}
