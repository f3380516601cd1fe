package io.atrium.artifacts;

import io.atrium.common.MlflowError;
import io.atrium.tenancy.TenantId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Artifacts in an S3-compatible bucket: tenant {@code t}'s path {@code p} is the key {@code
 * <prefix>/<t>/<p>}. Directories are key prefixes.
 *
 * <p>Uploads never hold more than one part in memory: a body that fits one part ({@link #PART_SIZE})
 * is a single PutObject, a longer one a multipart upload whose parts are sent as they arrive. Either
 * way the object appears only when the upload completes ({@link Staged#publish}); an abandoned
 * multipart upload is aborted, so a refused upload leaves nothing behind.
 */
public final class S3ArtifactStorage implements ArtifactStorage {
  static final int PART_SIZE = 8 << 20;

  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final Path spoolDir;

  /**
   * @param spoolDir where a part URL's body is written before it goes to S3 (see {@link #stagePart});
   *     files left there by a crash are removed here
   */
  public S3ArtifactStorage(ArtifactsConfig config, Path spoolDir) {
    AwsCredentialsProvider credentials =
        config.s3AccessKey().isPresent()
            ? StaticCredentialsProvider.create(
                AwsBasicCredentials.create(config.s3AccessKey().get(), config.s3SecretKey().orElseThrow()))
            : DefaultCredentialsProvider.builder().build();
    S3ClientBuilder b =
        S3Client.builder()
            .httpClient(UrlConnectionHttpClient.create())
            .region(Region.of(config.s3Region()))
            .credentialsProvider(credentials)
            .forcePathStyle(config.s3PathStyle())
            // Only when an operation needs one: many S3-compatible servers do not know the newer
            // default (CRC trailers on every upload).
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    config.s3Endpoint().ifPresent(b::endpointOverride);
    this.s3 = b.build();
    this.bucket = config.s3Bucket();
    this.prefix = config.s3Prefix().isEmpty() ? "" : config.s3Prefix() + "/";
    this.spoolDir = spoolDir;
    try {
      Files.createDirectories(spoolDir);
      try (Stream<Path> left = Files.list(spoolDir)) {
        for (Path f : (Iterable<Path>) left::iterator) {
          Files.deleteIfExists(f);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the part spool directory " + spoolDir, e);
    }
  }

  private String key(TenantId tenant, ArtifactPath path) {
    String base = prefix + tenant.value();
    return path.isRoot() ? base : base + "/" + path.value();
  }

  private Optional<HeadObjectResponse> head(String key) {
    try {
      return Optional.of(s3.headObject(r -> r.bucket(bucket).key(key)));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public Optional<Stat> stat(TenantId tenant, ArtifactPath path) {
    String key = key(tenant, path);
    if (!path.isRoot()) {
      Optional<HeadObjectResponse> h = head(key);
      if (h.isPresent()) {
        return Optional.of(new Stat(false, h.get().contentLength()));
      }
    }
    ListObjectsV2Response r = s3.listObjectsV2(l -> l.bucket(bucket).prefix(key + "/").maxKeys(1));
    return r.keyCount() != null && r.keyCount() > 0 || !r.contents().isEmpty()
        ? Optional.of(new Stat(true, -1))
        : Optional.empty();
  }

  @Override
  public InputStream open(TenantId tenant, ArtifactPath path, long offset, long length) {
    if (length == 0) {
      return InputStream.nullInputStream();
    }
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    return new BoundedInputStream(s3.getObject(r -> r.bucket(bucket).key(key(tenant, path)).range(range)), length);
  }

  @Override
  public List<Entry> list(TenantId tenant, ArtifactPath dir) {
    String p = key(tenant, dir) + "/";
    List<Entry> out = new ArrayList<>();
    ListObjectsV2Request req = ListObjectsV2Request.builder().bucket(bucket).prefix(p).delimiter("/").build();
    for (ListObjectsV2Response page : s3.listObjectsV2Paginator(req)) {
      for (CommonPrefix cp : page.commonPrefixes()) {
        String name = cp.prefix().substring(p.length());
        name = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        if (!name.isEmpty()) {
          out.add(new Entry(name, true, -1));
        }
      }
      for (S3Object o : page.contents()) {
        String name = o.key().substring(p.length());
        if (!name.isEmpty()) { // a "folder marker" object made by some tools
          out.add(new Entry(name, false, o.size()));
        }
      }
    }
    out.sort(java.util.Comparator.comparing(Entry::name));
    return out;
  }

  @Override
  public List<StoredFile> walk(TenantId tenant, ArtifactPath path) {
    List<StoredFile> out = new ArrayList<>();
    String key = key(tenant, path);
    if (!path.isRoot()) {
      head(key).ifPresent(h -> out.add(new StoredFile(path, h.contentLength())));
    }
    String p = key + "/";
    String tenantPrefix = key(tenant, ArtifactPath.ROOT) + "/";
    for (ListObjectsV2Response page : s3.listObjectsV2Paginator(l -> l.bucket(bucket).prefix(p))) {
      for (S3Object o : page.contents()) {
        String rel = o.key().substring(tenantPrefix.length());
        if (!rel.endsWith("/")) {
          out.add(new StoredFile(ArtifactPath.parse(rel), o.size()));
        }
      }
    }
    return out;
  }

  @Override
  public Staged stage(TenantId tenant, ArtifactPath path, InputStream in) throws IOException {
    String key = key(tenant, path);
    byte[] first = in.readNBytes(PART_SIZE);
    if (first.length < PART_SIZE) {
      return new Staged() {
        @Override
        public long size() {
          return first.length;
        }

        @Override
        public void publish() {
          s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromBytes(first));
        }

        @Override
        public void close() {}
      };
    }
    String uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    long size = 0;
    try {
      byte[] part = first;
      while (part.length > 0) {
        int n = parts.size() + 1;
        byte[] body = part;
        String etag =
            s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(uploadId).partNumber(n), RequestBody.fromBytes(body))
                .eTag();
        parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
        size += part.length;
        part = null; // let the part go before reading the next one
        part = in.readNBytes(PART_SIZE);
      }
    } catch (IOException | RuntimeException e) {
      abort(key, uploadId);
      throw e;
    }
    long total = size;
    return new Staged() {
      private boolean published;

      @Override
      public long size() {
        return total;
      }

      @Override
      public void publish() {
        s3.completeMultipartUpload(
            r -> r.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
        published = true;
      }

      @Override
      public void close() {
        if (!published) {
          abort(key, uploadId);
        }
      }
    };
  }

  private void abort(String key, String uploadId) {
    try {
      s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
    } catch (RuntimeException ignored) {
      // the bucket's lifecycle rule for incomplete uploads is the backstop
    }
  }

  @Override
  public String beginMultipart(TenantId tenant, String uploadId, ArtifactPath path) {
    return s3.createMultipartUpload(r -> r.bucket(bucket).key(key(tenant, path))).uploadId();
  }

  /**
   * An S3 UploadPart of the request body, written to a spool file first: the SDK retries a failed
   * attempt (a pooled connection the store had closed, a reset), and a retry must send the body
   * again, which a request stream cannot do ("does not support mark/reset": a 500 in CI, on one part
   * in a few dozen uploads to s3proxy). Memory stays at one copy buffer whatever the part's size; the
   * spool costs a write the page cache mostly absorbs. S3 takes the part at once (replacing an
   * earlier one of the same number), so publishing has nothing left to do.
   */
  @Override
  public StagedPart stagePart(TenantId tenant, String uploadId, String storageUploadId, ArtifactPath path, int partNumber,
      InputStream in, long length) throws IOException {
    if (length < 0) {
      // The SDK would buffer a body of unknown length in memory; a part URL is given a length by
      // every client that uses one (the mlflow client sends each part as bytes).
      throw MlflowError.invalid("A part upload needs a Content-Length");
    }
    String etag;
    Path spool = Files.createTempFile(spoolDir, "part-", ".bin");
    try {
      long read;
      try (OutputStream out = Files.newOutputStream(spool)) {
        read = in.transferTo(out); // a quota refusal from the counting stream stops it here
      }
      if (read != length) {
        throw MlflowError.invalid("The part's body had " + read + " bytes, its Content-Length says " + length);
      }
      etag = s3.uploadPart(r -> r.bucket(bucket).key(key(tenant, path)).uploadId(storageUploadId).partNumber(partNumber)
              .contentLength(length), RequestBody.fromFile(spool)).eTag();
    } catch (NoSuchUploadException e) {
      throw new NoSuchFileException("upload");
    } finally {
      Files.deleteIfExists(spool);
    }
    return new StagedPart() {
      @Override
      public String etag() {
        return etag;
      }

      @Override
      public long size() {
        return length;
      }

      @Override
      public void publish() {}

      @Override
      public void close() {}
    };
  }

  @Override
  public Staged completeMultipart(TenantId tenant, String uploadId, String storageUploadId, ArtifactPath path,
      List<Part> parts) {
    List<CompletedPart> completed = new ArrayList<>();
    long total = 0;
    for (Part p : parts) {
      completed.add(CompletedPart.builder().partNumber(p.partNumber()).eTag(p.etag()).build());
      total += p.size();
    }
    long size = total;
    return new Staged() {
      @Override
      public long size() {
        return size;
      }

      @Override
      public void publish() {
        try {
          s3.completeMultipartUpload(r -> r.bucket(bucket).key(key(tenant, path)).uploadId(storageUploadId)
              .multipartUpload(CompletedMultipartUpload.builder().parts(completed).build()));
        } catch (S3Exception e) {
          if (e.statusCode() == 400) { // EntityTooSmall (a part other than the last under 5 MiB), InvalidPart
            throw MlflowError.invalid("The object store refused to complete the upload: "
                + (e.awsErrorDetails() == null ? e.statusCode() : e.awsErrorDetails().errorCode()));
          }
          throw e;
        }
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void abortMultipart(TenantId tenant, String uploadId, String storageUploadId, ArtifactPath path) {
    try {
      s3.abortMultipartUpload(r -> r.bucket(bucket).key(key(tenant, path)).uploadId(storageUploadId));
    } catch (NoSuchUploadException e) {
      // already gone
    }
  }

  @Override
  public void delete(TenantId tenant, ArtifactPath path) {
    if (path.isRoot()) {
      throw new IllegalArgumentException("refusing to delete a tenant root");
    }
    String key = key(tenant, path);
    List<ObjectIdentifier> batch = new ArrayList<>();
    if (head(key).isPresent()) {
      batch.add(ObjectIdentifier.builder().key(key).build());
    }
    for (ListObjectsV2Response page : s3.listObjectsV2Paginator(l -> l.bucket(bucket).prefix(key + "/"))) {
      for (S3Object o : page.contents()) {
        batch.add(ObjectIdentifier.builder().key(o.key()).build());
        if (batch.size() == 1000) {
          deleteBatch(batch);
        }
      }
    }
    deleteBatch(batch);
  }

  private void deleteBatch(List<ObjectIdentifier> batch) {
    if (batch.isEmpty()) {
      return;
    }
    List<ObjectIdentifier> ids = List.copyOf(batch);
    batch.clear();
    if (ids.size() == 1) {
      s3.deleteObject(r -> r.bucket(bucket).key(ids.get(0).key()));
    } else {
      s3.deleteObjects(r -> r.bucket(bucket).delete(Delete.builder().objects(ids).quiet(true).build()));
    }
  }

  @Override
  public void close() {
    s3.close();
  }
}
