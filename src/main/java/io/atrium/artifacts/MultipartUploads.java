package io.atrium.artifacts;

import static io.atrium.artifacts.Io.io;
import static java.util.Objects.requireNonNull;

import io.atrium.artifacts.ArtifactStorage.Part;
import io.atrium.authz.Action;
import io.atrium.authz.Authz;
import io.atrium.common.MlflowError;
import io.atrium.http.RequestContext;
import io.atrium.tenancy.TenantId;
import io.atrium.usage.UsageCounter;
import io.atrium.usage.UsageSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Multipart uploads of MLflow's artifact proxy: create (signed part URLs), parts, complete, abort.
 *
 * <p>Accounting: a stored part adds its size to the tenant's bytes at once (under the usage lock,
 * refused with 429 when it would pass the quota), complete replaces the staged parts' bytes by the
 * object's size, and abort takes them off again, so {@code bytes_stored} is exact at every commit.
 *
 * <p>Part URLs carry no bearer token (the mlflow client sends none there), only an HMAC over tenant,
 * upload, part number and expiry ({@link PartSigner}). Every refusal of a part (bad or expired
 * signature, unknown or finished upload, another tenant's upload, a part number out of range) is
 * the same 404, and it comes before a byte of the body is stored.
 */
public final class MultipartUploads {
  private static final Logger log = LoggerFactory.getLogger(MultipartUploads.class);
  /** How long part URLs work. The mlflow client sends every part right after create. */
  static final Duration PART_URL_TTL = Duration.ofHours(1);
  /** S3's limit, for both backends. */
  static final int MAX_PARTS = 10_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The credential for one part: the route turns it into a URL. */
  public record PartGrant(int partNumber, long expiresEpochSeconds, String signature) {}

  /** A new upload: its id, and one grant per part. */
  public record Created(TenantId tenant, String uploadId, List<PartGrant> parts) {}

  /** A part as the client lists it on complete. */
  public record ClientPart(int partNumber, String etag) {}

  private final ArtifactStorage storage;
  private final ArtifactStore objects;
  private final UploadStore uploads;
  private final Authz authz;
  private final StorageQuota quota;
  private final UsageSink usage;
  private final PartSigner signer;
  private final Clock clock;

  public MultipartUploads(ArtifactStorage storage, ArtifactStore objects, UploadStore uploads, Authz authz,
      StorageQuota quota, UsageSink usage, Clock clock) {
    this.storage = requireNonNull(storage);
    this.objects = requireNonNull(objects);
    this.uploads = requireNonNull(uploads);
    this.authz = requireNonNull(authz);
    this.quota = requireNonNull(quota);
    this.usage = requireNonNull(usage);
    this.clock = requireNonNull(clock);
    this.signer = new PartSigner(uploads.signingKey(clock.millis()));
  }

  /** Checked first, before the request's body is looked at: a viewer gets 403 whatever it sent. */
  public void requireWrite(RequestContext rc) {
    authz.require(rc, Action.WRITE);
  }

  /**
   * The artifact an upload becomes: {@code dir} (from the URL) and the last segment of the client's
   * {@code path}. The mlflow client sends its local file's path there and MLflow's server keeps only
   * the base name, as here; the directories before it are the client machine's and never used.
   */
  public static ArtifactPath target(ArtifactPath dir, String clientPath) {
    if (clientPath == null) {
      throw MlflowError.invalid("Missing value for required parameter 'path'");
    }
    String name = clientPath.substring(clientPath.lastIndexOf('/') + 1);
    ArtifactPath file = ArtifactPath.parse(name);
    if (file.segments().size() != 1) {
      throw MlflowError.invalid("Invalid path: expected a file name");
    }
    return dir.resolve(file);
  }

  public Created create(RequestContext rc, ArtifactPath path, int numParts) {
    requireWrite(rc);
    ArtifactService.refuseSharedWrite(path);
    if (numParts < 1 || numParts > MAX_PARTS) {
      throw MlflowError.invalid("num_parts must be 1.." + MAX_PARTS + ", got " + numParts);
    }
    TenantId t = rc.tenant().id();
    Optional<ArtifactStorage.Stat> existing = io(() -> storage.stat(t, path));
    if (existing.isPresent() && existing.get().dir()) {
      throw MlflowError.invalid("Invalid artifact path: '" + path + "' is a directory");
    }
    byte[] id = new byte[18];
    RANDOM.nextBytes(id);
    String uploadId = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    long now = clock.millis();
    long expires = now / 1000 + PART_URL_TTL.toSeconds();
    String storageId = io(() -> storage.beginMultipart(t, uploadId, path));
    uploads.insertUpload(t, new UploadStore.Upload(uploadId, path, numParts, storageId, now, expires * 1000));
    List<PartGrant> grants = new ArrayList<>(numParts);
    for (int n = 1; n <= numParts; n++) {
      grants.add(new PartGrant(n, expires, signer.sign(t, uploadId, n, expires)));
    }
    log.info("event=mpu_create tenant={} upload_id={} path=\"{}\" num_parts={}", rc.tenant().name(), uploadId, path, numParts);
    return new Created(t, uploadId, grants);
  }

  private static MlflowError noSuchPart() {
    return MlflowError.notFound("No such upload part");
  }

  /**
   * Stores one part from a signed URL; returns its etag. {@code length} is -1 when unknown. Nothing
   * is read from {@code body} unless the signature, expiry, upload and part number all check out.
   */
  public String putPart(long tenantId, String uploadId, int partNumber, long expires, String signature, InputStream body,
      long length) {
    if (tenantId <= 0 || uploadId == null || !uploadId.matches("[A-Za-z0-9_-]{1,64}")) {
      throw noSuchPart();
    }
    TenantId t = new TenantId(tenantId);
    if (!signer.verify(t, uploadId, partNumber, expires, signature) || clock.millis() / 1000 > expires) {
      throw noSuchPart();
    }
    UploadStore.Upload up = uploads.upload(t, uploadId).orElseThrow(MultipartUploads::noSuchPart);
    if (partNumber < 1 || partNumber > up.numParts()) {
      throw noSuchPart();
    }
    OptionalLong limit = quota.bytesFor(t);
    InputStream in = body;
    if (limit.isPresent()) {
      long replaced = objects.inTenant(t, h -> uploads.parts(h, t, uploadId)).stream()
          .filter(p -> p.partNumber() == partNumber).mapToLong(Part::size).sum();
      long allowance = Math.max(0, limit.getAsLong() - (objects.usage(t).bytes() - replaced));
      if (length >= 0 && length > allowance) {
        throw ArtifactService.overQuota(limit.getAsLong());
      }
      in = new ArtifactService.QuotaInputStream(body, allowance, limit.getAsLong());
    }
    InputStream counted = in;
    long size;
    String etag;
    try (ArtifactStorage.StagedPart staged =
        io(() -> storage.stagePart(t, uploadId, up.storageUploadId(), up.path(), partNumber, counted, length))) {
      size = staged.size();
      etag = staged.etag();
      objects.inTenant(t, h -> {
        ArtifactStore.Usage u = objects.lockUsage(h, t);
        if (uploads.upload(h, t, uploadId).isEmpty()) { // completed or aborted while the part arrived
          throw noSuchPart();
        }
        Optional<Part> old = uploads.putPart(h, t, uploadId, new Part(partNumber, size, etag));
        long bytes = u.bytes() - old.map(Part::size).orElse(0L) + size;
        // Checked again under the lock: parts (and uploads) racing may each have fitted on their own.
        if (limit.isPresent() && bytes > limit.getAsLong()) {
          throw ArtifactService.overQuota(limit.getAsLong());
        }
        objects.setUsage(h, t, new ArtifactStore.Usage(bytes, u.objects()));
        io(() -> {
          staged.publish();
          return null;
        });
        return null;
      });
    } catch (UncheckedIOException e) {
      if (e.getCause() instanceof NoSuchFileException) { // the upload's staging is gone: finished meanwhile
        throw noSuchPart();
      }
      throw e;
    }
    usage.add(t, UsageCounter.ARTIFACT_BYTES_IN, size);
    return etag;
  }

  /** Makes the listed parts, in order, the artifact at {@code path}; returns its size. */
  public long complete(RequestContext rc, ArtifactPath path, String uploadId, List<ClientPart> listed) {
    requireWrite(rc);
    ArtifactService.refuseSharedWrite(path);
    TenantId t = rc.tenant().id();
    UploadStore.Upload up = find(t, path, uploadId);
    if (listed.isEmpty()) {
      throw MlflowError.invalid("parts must list at least one part");
    }
    Map<Integer, Part> stored = new HashMap<>();
    for (Part p : objects.inTenant(t, h -> uploads.parts(h, t, uploadId))) {
      stored.put(p.partNumber(), p);
    }
    List<Part> chosen = new ArrayList<>();
    int last = 0;
    for (ClientPart c : listed) {
      if (c.partNumber() <= last) {
        throw MlflowError.invalid("parts must be in ascending order of part_number, each once");
      }
      last = c.partNumber();
      Part p = stored.get(c.partNumber());
      if (p == null || (c.etag() != null && !c.etag().isEmpty() && !c.etag().equals(p.etag()))) {
        throw MlflowError.invalid("Part " + c.partNumber() + " was not uploaded (or not with that etag)");
      }
      chosen.add(p);
    }
    Optional<ArtifactStorage.Stat> existing = io(() -> storage.stat(t, path));
    if (existing.isPresent() && existing.get().dir()) {
      throw MlflowError.invalid("Invalid artifact path: '" + path + "' is a directory");
    }
    long size;
    try (ArtifactStorage.Staged whole = io(() -> storage.completeMultipart(t, uploadId, up.storageUploadId(), path, chosen))) {
      size = whole.size();
      long now = clock.millis();
      objects.inTenant(t, h -> {
        ArtifactStore.Usage u = objects.lockUsage(h, t);
        long staged = uploads.parts(h, t, uploadId).stream().mapToLong(Part::size).sum();
        if (!uploads.deleteUpload(h, t, uploadId)) { // aborted or completed by a racing request
          throw noSuchUpload(uploadId);
        }
        OptionalLong old = objects.objectSize(h, t, path);
        objects.putObject(h, t, path, size, now);
        objects.setUsage(h, t, new ArtifactStore.Usage(u.bytes() - staged - old.orElse(0) + size,
            u.objects() + (old.isPresent() ? 0 : 1)));
        // Published inside the transaction: if publishing fails, the accounting rolls back with it.
        io(() -> {
          whole.publish();
          return null;
        });
        return null;
      });
    }
    log.info("event=mpu_complete tenant={} upload_id={} path=\"{}\" parts={} bytes={}", rc.tenant().name(), uploadId, path,
        chosen.size(), size);
    return size;
  }

  /** Drops an upload and its parts, and their bytes from the tenant's total. */
  public void abort(RequestContext rc, ArtifactPath path, String uploadId) {
    requireWrite(rc);
    ArtifactService.refuseSharedWrite(path);
    TenantId t = rc.tenant().id();
    UploadStore.Upload up = find(t, path, uploadId);
    long freed = drop(t, up);
    if (freed < 0) {
      throw noSuchUpload(uploadId);
    }
    log.info("event=mpu_abort tenant={} upload_id={} path=\"{}\" bytes_freed={}", rc.tenant().name(), uploadId, path, freed);
  }

  /** Aborts the tenant's uploads whose part URLs expired before {@code cutoff}; returns bytes freed. */
  public long dropExpired(TenantId t, long cutoff) {
    long freed = 0;
    for (UploadStore.Upload up : uploads.expiredUploads(t, cutoff)) {
      freed += Math.max(0, drop(t, up));
    }
    return freed;
  }

  /** Removes an upload's rows, bytes and storage together; -1 when it was already gone. */
  private long drop(TenantId t, UploadStore.Upload up) {
    return objects.inTenant(t, h -> {
      ArtifactStore.Usage u = objects.lockUsage(h, t);
      long staged = uploads.parts(h, t, up.uploadId()).stream().mapToLong(Part::size).sum();
      if (!uploads.deleteUpload(h, t, up.uploadId())) {
        return -1L;
      }
      objects.setUsage(h, t, new ArtifactStore.Usage(u.bytes() - staged, u.objects()));
      io(() -> {
        storage.abortMultipart(t, up.uploadId(), up.storageUploadId(), up.path());
        return null;
      });
      return staged;
    });
  }

  /** The caller's tenant's upload to {@code path}; another tenant's, or one to another path, is missing. */
  private UploadStore.Upload find(TenantId t, ArtifactPath path, String uploadId) {
    if (uploadId == null || !uploadId.matches("[A-Za-z0-9_-]{1,64}")) {
      throw noSuchUpload(String.valueOf(uploadId));
    }
    return uploads.upload(t, uploadId).filter(u -> u.path().equals(path)).orElseThrow(() -> noSuchUpload(uploadId));
  }

  private static MlflowError noSuchUpload(String uploadId) {
    return MlflowError.notFound("No such multipart upload: '" + (uploadId.length() > 64 ? uploadId.substring(0, 64) : uploadId) + "'");
  }
}
