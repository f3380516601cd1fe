package io.atrium.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.tenancy.TenantId;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A part URL's body must survive the object store dropping the connection of the first attempt:
 * the SDK retries, and the retry has to send the body again. Streamed straight from the request it
 * could not ("Content input stream does not support mark/reset": a 500 on one part in a few dozen
 * uploads to s3proxy in CI). Runs against the real S3-compatible server, through a proxy that resets
 * the first UploadPart connection.
 */
class S3PartRetryIT {
  @TempDir Path dir;

  private static ArtifactsConfig through(URI endpoint, Path localRoot) {
    ArtifactsConfig real = ArtifactServers.s3Config(localRoot);
    return new ArtifactsConfig(ArtifactsConfig.S3, localRoot, real.s3Bucket(), real.s3Prefix(), Optional.of(endpoint),
        real.s3Region(), real.s3AccessKey(), real.s3SecretKey(), true, real.gcRetentionDays());
  }

  /** A request body as the server gets it: read once, no mark/reset. */
  private static InputStream once(byte[] bytes) {
    return new FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public boolean markSupported() {
        return false;
      }
    };
  }

  @Test
  void aPartIsStoredWhenTheFirstAttemptsConnectionIsReset() throws Exception {
    requireS3();
    URI s3 = URI.create(System.getenv("ATRIUM_TEST_S3_ENDPOINT"));
    try (DroppingProxy proxy = DroppingProxy.start(s3, "partNumber=", 1)) {
      Path spool = dir.resolve("spool");
      S3ArtifactStorage storage = new S3ArtifactStorage(through(proxy.uri(), dir.resolve("artifacts")), spool);
      TenantId tenant = new TenantId(7);
      ArtifactPath path = ArtifactPath.parse("run/ckpt/" + UUID.randomUUID() + ".bin");
      byte[] bytes = new byte[3 << 20];
      new Random(42).nextBytes(bytes);

      String uploadId = storage.beginMultipart(tenant, "u1", path);
      ArtifactStorage.StagedPart part;
      try (ArtifactStorage.StagedPart p = storage.stagePart(tenant, "u1", uploadId, path, 1, once(bytes), bytes.length)) {
        p.publish();
        part = p;
      }
      assertThat(proxy.dropped()).as("the first attempt was reset").isEqualTo(1);
      try (ArtifactStorage.Staged done = storage.completeMultipart(tenant, "u1", uploadId, path,
          List.of(new ArtifactStorage.Part(1, part.size(), part.etag())))) {
        done.publish();
      }
      try (InputStream in = storage.open(tenant, path, 0, bytes.length)) {
        assertThat(in.readAllBytes()).isEqualTo(bytes);
      }
      try (var left = Files.list(spool)) {
        assertThat(left).as("spool files are removed").isEmpty();
      }
    }
  }

  @Test
  void spoolFilesLeftByACrashAreRemovedAtStart() throws Exception {
    requireS3();
    Path spool = Files.createDirectories(dir.resolve("spool"));
    Files.write(spool.resolve("part-123.bin"), new byte[] {1, 2, 3});
    new S3ArtifactStorage(ArtifactServers.s3Config(dir.resolve("artifacts")), spool);
    try (var left = Files.list(spool)) {
      assertThat(left).isEmpty();
    }
  }

  private static void requireS3() {
    Assumptions.assumeTrue(ArtifactServers.s3AvailableOrRequired(), "no S3-compatible server (scripts/s3-server.sh)");
  }
}
