package io.atrium.artifacts;

import static io.atrium.artifacts.Io.io;
import static java.util.Objects.requireNonNull;

import io.atrium.authz.Action;
import io.atrium.authz.Authz;
import io.atrium.common.MlflowError;
import io.atrium.http.RequestContext;
import io.atrium.tenancy.Tenant;
import io.atrium.tenancy.TenantId;
import io.atrium.tracking.RunInfo;
import io.atrium.sharing.SharedArtifactAccess;
import io.atrium.tracking.TrackingStore;
import io.atrium.usage.UsageCounter;
import io.atrium.usage.UsageSink;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Artifacts of a tenant: upload, download, list, delete, with exact per-tenant accounting and the
 * storage quota; and garbage collection of deleted runs' artifacts.
 *
 * <p>Every path is relative to the caller's tenant root, so another tenant's artifact is simply a
 * missing path here: same 404, same message.
 */
public final class ArtifactService {
  private static final Logger log = LoggerFactory.getLogger(ArtifactService.class);
  static final int LIST_PAGE_SIZE = 1000;
  private static final long ABANDONED_UPLOAD_GRACE_MS = 86_400_000L;

  /** A run's artifact listing, MLflow's ListArtifacts response. */
  public record RunListing(String rootUri, List<ArtifactStorage.Entry> files, ArtifactPath dir, Optional<String> nextPageToken) {}

  /** What a garbage-collection pass did. */
  public record GcResult(int tenants, int directories, long files, long bytesFreed, int retentionDays) {}

  private final ArtifactStorage storage;
  private final ArtifactStore store;
  private final TrackingStore tracking;
  private final Authz authz;
  private final StorageQuota quota;
  private final UsageSink usage;
  private final Supplier<List<Tenant>> tenants;
  private final List<GcSource> gcSources;
  private final int defaultRetentionDays;
  private final SharedArtifactAccess shared;
  private final MultipartUploads uploads;
  private final Clock clock;

  /** Where a request's artifact path really lives: the caller's own root, or a sharing owner's. */
  private record Location(TenantId tenant, ArtifactPath path) {}

  public ArtifactService(
      ArtifactStorage storage, ArtifactStore store, TrackingStore tracking, Authz authz, StorageQuota quota, UsageSink usage,
      Supplier<List<Tenant>> tenants, List<GcSource> gcSources, int defaultRetentionDays, SharedArtifactAccess shared,
      MultipartUploads uploads, Clock clock) {
    this.storage = requireNonNull(storage);
    this.store = requireNonNull(store);
    this.tracking = requireNonNull(tracking);
    this.authz = requireNonNull(authz);
    this.quota = requireNonNull(quota);
    this.usage = requireNonNull(usage);
    this.tenants = requireNonNull(tenants);
    this.gcSources = List.copyOf(gcSources);
    this.defaultRetentionDays = defaultRetentionDays;
    this.shared = requireNonNull(shared);
    this.uploads = requireNonNull(uploads);
    this.clock = requireNonNull(clock);
  }

  /**
   * Resolves a path for reading. {@code shared/<owner>/<path>} is a shared model's file as a grantee
   * sees it: it is read from the owner's root only while a grant covers it (the sharing service
   * decides and audits); anything else answers exactly like a missing file.
   */
  private Location forRead(RequestContext rc, ArtifactPath path) {
    List<String> seg = path.segments();
    if (seg.isEmpty() || !SharedArtifactAccess.SHARED_SEGMENT.equals(seg.get(0))) {
      return new Location(rc.tenant().id(), path);
    }
    if (seg.size() < 2) {
      throw notFound(path);
    }
    ArtifactPath rest = ArtifactPath.parse(String.join("/", seg.subList(2, seg.size())));
    TenantId owner = shared.readableOwner(rc, seg.get(1), rest.toString()).orElseThrow(() -> notFound(path));
    return new Location(owner, rest);
  }

  /** Shared files are read-only for everyone: the owner writes its own paths, never {@code shared/...}. */
  static void refuseSharedWrite(ArtifactPath path) {
    List<String> seg = path.segments();
    if (!seg.isEmpty() && SharedArtifactAccess.SHARED_SEGMENT.equals(seg.get(0))) {
      throw MlflowError.permissionDenied("Permission denied: shared artifacts are read-only");
    }
  }

  private static MlflowError notFound(ArtifactPath path) {
    return MlflowError.notFound("No such artifact: '" + path + "'");
  }

  /** The size of a file to download; 404 when missing, 400 for a directory. */
  public long fileSize(RequestContext rc, ArtifactPath path) {
    authz.require(rc, Action.READ);
    Location at = forRead(rc, path);
    ArtifactStorage.Stat st = io(() -> storage.stat(at.tenant(), at.path())).orElseThrow(() -> notFound(path));
    if (st.dir()) {
      throw MlflowError.invalid("Artifact path refers to a directory, not a file: '" + path + "'");
    }
    return st.size();
  }

  /** Copies {@code length} bytes of a file from {@code offset} to {@code out}; returns the bytes sent. */
  public long send(RequestContext rc, ArtifactPath path, long offset, long length, OutputStream out) throws IOException {
    authz.require(rc, Action.READ);
    Location at = forRead(rc, path);
    TenantId t = rc.tenant().id();
    long sent = 0;
    try (InputStream in = storage.open(at.tenant(), at.path(), offset, length)) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        sent += n;
      }
    } finally {
      usage.add(t, UsageCounter.ARTIFACT_BYTES_OUT, sent);
    }
    return sent;
  }

  /**
   * Stores {@code body} at {@code path}, replacing a file there. {@code contentLength} is -1 when
   * unknown (chunked). Over the quota → 429 before anything is stored: up front when the length is
   * known, else as soon as the running count passes it, and the staged bytes are dropped.
   */
  public long upload(RequestContext rc, ArtifactPath path, InputStream body, long contentLength) {
    authz.require(rc, Action.WRITE);
    refuseSharedWrite(path);
    if (path.isRoot()) {
      throw MlflowError.invalid("Invalid artifact path: an upload needs a file name");
    }
    TenantId t = rc.tenant().id();
    Optional<ArtifactStorage.Stat> existing = io(() -> storage.stat(t, path));
    if (existing.isPresent() && existing.get().dir()) {
      throw MlflowError.invalid("Invalid artifact path: '" + path + "' is a directory");
    }
    OptionalLong limit = quota.bytesFor(t);
    long allowance = Long.MAX_VALUE;
    if (limit.isPresent()) {
      long used = store.usage(t).bytes();
      long replaced = store.objectSize(t, path).orElse(0);
      allowance = Math.max(0, limit.getAsLong() - (used - replaced));
      if (contentLength >= 0 && contentLength > allowance) {
        throw overQuota(limit.getAsLong());
      }
    }
    InputStream counted = limit.isPresent() ? new QuotaInputStream(body, allowance, limit.getAsLong()) : body;
    long size;
    try (ArtifactStorage.Staged staged = io(() -> storage.stage(t, path, counted))) {
      size = staged.size();
      long now = clock.millis();
      store.inTenant(t, h -> {
        ArtifactStore.Usage u = store.lockUsage(h, t);
        OptionalLong old = store.objectSize(h, t, path);
        long bytes = u.bytes() - old.orElse(0) + size;
        // Checked again under the lock: two uploads racing may each have fitted on their own.
        if (limit.isPresent() && bytes > limit.getAsLong()) {
          throw overQuota(limit.getAsLong());
        }
        store.putObject(h, t, path, size, now);
        store.setUsage(h, t, new ArtifactStore.Usage(bytes, u.objects() + (old.isPresent() ? 0 : 1)));
        // Published inside the transaction: if publishing fails, the accounting rolls back with it.
        io(() -> {
          staged.publish();
          return null;
        });
        return null;
      });
    }
    usage.add(t, UsageCounter.ARTIFACT_BYTES_IN, size);
    return size;
  }

  static MlflowError overQuota(long limit) {
    return MlflowError.exhausted("Artifact storage quota of " + limit + " bytes would be exceeded; nothing was stored");
  }

  /** Removes a file or a directory tree; 404 when nothing is there. */
  public void delete(RequestContext rc, ArtifactPath path) {
    authz.require(rc, Action.WRITE);
    refuseSharedWrite(path);
    if (path.isRoot()) {
      throw MlflowError.invalid("Invalid artifact path: refusing to delete the artifact root");
    }
    TenantId t = rc.tenant().id();
    if (remove(t, path) < 0) {
      throw notFound(path);
    }
  }

  /** Removes storage and accounting at {@code path}; returns bytes freed, or -1 when nothing was there. */
  private long remove(TenantId t, ArtifactPath path) {
    return store.inTenant(t, h -> {
      ArtifactStore.Usage u = store.lockUsage(h, t);
      List<ArtifactStorage.StoredFile> rows = store.objectsUnder(h, t, path);
      boolean present = io(() -> storage.stat(t, path)).isPresent();
      if (!present && rows.isEmpty()) {
        return -1L;
      }
      long freed = 0;
      for (ArtifactStorage.StoredFile f : rows) {
        store.deleteObject(h, t, f.path());
        freed += f.size();
      }
      store.setUsage(h, t, new ArtifactStore.Usage(u.bytes() - freed, u.objects() - rows.size()));
      io(() -> {
        storage.delete(t, path);
        return null;
      });
      return freed;
    });
  }

  /** The children of a directory of the tenant's artifact space (MLflow's proxied listing). */
  public List<ArtifactStorage.Entry> list(RequestContext rc, ArtifactPath dir) {
    authz.require(rc, Action.READ);
    Location at = forRead(rc, dir);
    return io(() -> storage.list(at.tenant(), at.path()));
  }

  /**
   * The children of {@code relative} below an Atrium-managed artifact root the caller already
   * resolved in its own tenant (a logged model's artifact_location); never a shared owner's path.
   */
  public List<ArtifactStorage.Entry> listUnder(RequestContext rc, String rootUri, ArtifactPath relative) {
    authz.require(rc, Action.READ);
    ArtifactPath root = ArtifactUris.managedPath(rootUri)
        .orElseThrow(() -> MlflowError.invalidState("No Atrium-managed artifact location: " + rootUri));
    TenantId t = rc.tenant().id();
    return io(() -> storage.list(t, root.resolve(relative)));
  }

  /** A run's artifacts below {@code relative} (MLflow's artifacts/list). */
  public RunListing listRun(RequestContext rc, String runId, ArtifactPath relative, String pageToken) {
    authz.require(rc, Action.READ);
    TenantId t = rc.tenant().id();
    RunInfo run =
        tracking.read(t, h -> tracking.runInfo(h, t, runId))
            .orElseThrow(() -> MlflowError.notFound("Run with id=" + runId + " not found"));
    ArtifactPath root = ArtifactUris.managedPath(run.artifactUri())
        .orElseThrow(() -> MlflowError.invalidState("Run " + runId + " has no Atrium-managed artifact location"));
    List<ArtifactStorage.Entry> all = io(() -> storage.list(t, root.resolve(relative)));
    int offset = decodeToken(pageToken);
    int end = Math.min(all.size(), offset + LIST_PAGE_SIZE);
    List<ArtifactStorage.Entry> page = offset >= all.size() ? List.of() : all.subList(offset, end);
    Optional<String> next = end < all.size() ? Optional.of(encodeToken(end)) : Optional.empty();
    return new RunListing(run.artifactUri(), page, relative, next);
  }

  private static String encodeToken(int offset) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("a:" + offset).getBytes(StandardCharsets.UTF_8));
  }

  private static int decodeToken(String token) {
    if (token == null || token.isEmpty()) {
      return 0;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      if (s.startsWith("a:")) {
        int v = Integer.parseInt(s.substring(2));
        if (v >= 0) {
          return v;
        }
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw MlflowError.invalid("Invalid page_token");
  }

  /** The tenant's stored bytes and files. */
  public ArtifactStore.Usage usage(RequestContext rc) {
    authz.require(rc, Action.READ);
    return store.usage(rc.tenant().id());
  }

  /** Garbage collection, as a platform admin: see {@link #gc(int)}. */
  public GcResult gc(RequestContext rc, OptionalInt retentionDays) {
    if (!rc.platformAdmin()) {
      throw MlflowError.permissionDenied("Permission denied: only platform admins run garbage collection");
    }
    int days = retentionDays.orElse(defaultRetentionDays);
    if (days < 0 || days > 36_500) {
      throw MlflowError.invalid("retention_days must be 0..36500, got " + days);
    }
    return gc(days);
  }

  /**
   * Removes, in every tenant, the artifacts of objects deleted more than {@code retentionDays} ago
   * (as every {@link GcSource} reports them), and frees their quota.
   */
  public GcResult gc(int retentionDays) {
    long cutoff = clock.millis() - retentionDays * 86_400_000L;
    int tenantCount = 0;
    int dirs = 0;
    long files = 0;
    long freed = 0;
    for (Tenant tenant : tenants.get()) {
      tenantCount++;
      TenantId t = tenant.id();
      // Multipart uploads abandoned by their client (never completed nor aborted) hold quota; a day
      // after their part URLs expired nothing can add to them, and they are dropped.
      long abandoned = uploads.dropExpired(t, clock.millis() - ABANDONED_UPLOAD_GRACE_MS);
      if (abandoned > 0) {
        freed += abandoned;
        log.info("event=artifact_gc tenant={} source=abandoned_uploads bytes_freed={}", tenant.name(), abandoned);
      }
      for (GcSource source : gcSources) {
        List<ArtifactPath> roots = new ArrayList<>(source.expiredArtifactRoots(t, cutoff));
        for (ArtifactPath root : roots) {
          long before = store.usage(t).objects();
          long bytes = remove(t, root);
          if (bytes >= 0) {
            dirs++;
            freed += bytes;
            files += before - store.usage(t).objects();
            log.info("event=artifact_gc tenant={} source={} path=\"{}\" bytes_freed={}", tenant.name(), source.name(), root, bytes);
          }
        }
      }
    }
    return new GcResult(tenantCount, dirs, files, freed, retentionDays);
  }

  /** Counts bytes read and refuses (429) once they pass the allowance. */
  static final class QuotaInputStream extends FilterInputStream {
    private final long allowance;
    private final long limit;
    private long count;

    QuotaInputStream(InputStream in, long allowance, long limit) {
      super(in);
      this.allowance = allowance;
      this.limit = limit;
    }

    private void add(long n) {
      count += n;
      if (count > allowance) {
        throw overQuota(limit);
      }
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        add(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        add(n);
      }
      return n;
    }
  }
}
