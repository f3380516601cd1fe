package io.atrium;

import io.atrium.artifacts.ArtifactRoutes;
import io.atrium.artifacts.ArtifactService;
import io.atrium.artifacts.ArtifactStorage;
import io.atrium.artifacts.ArtifactStore;
import io.atrium.artifacts.ArtifactsConfig;
import io.atrium.artifacts.DeletedRunsGcSource;
import io.atrium.artifacts.LocalArtifactStorage;
import io.atrium.artifacts.MultipartUploads;
import io.atrium.artifacts.S3ArtifactStorage;
import io.atrium.artifacts.UploadStore;
import io.atrium.audit.AuditLog;
import io.atrium.audit.AuditRoutes;
import io.atrium.authz.Authz;
import io.atrium.cli.AtriumCli;
import io.atrium.common.AccessEpoch;
import io.atrium.config.AtriumConfig;
import io.atrium.db.Database;
import io.atrium.http.HealthRoutes;
import io.atrium.http.HttpServer;
import io.atrium.http.Route;
import io.atrium.identity.Authenticator;
import io.atrium.identity.IdentityRoutes;
import io.atrium.identity.IdentityService;
import io.atrium.identity.IdentityStore;
import io.atrium.limits.Admission;
import io.atrium.limits.FairUse;
import io.atrium.limits.LimitRoutes;
import io.atrium.limits.LimitService;
import io.atrium.limits.LimitStore;
import io.atrium.metrics.Metrics;
import io.atrium.metrics.MetricsRoutes;
import io.atrium.tenancy.TenantAccess;
import io.atrium.tenancy.TenantRoutes;
import io.atrium.tenancy.TenantService;
import io.atrium.tenancy.TenantStore;
import io.atrium.tracking.MlflowTrackingRoutes;
import io.atrium.tracking.TrackingService;
import io.atrium.tracking.TrackingStore;
import io.atrium.tracking.WorkspaceRoutes;
import io.atrium.loggedmodels.LoggedModelService;
import io.atrium.loggedmodels.LoggedModelStore;
import io.atrium.loggedmodels.MlflowLoggedModelRoutes;
import io.atrium.registry.MlflowRegistryRoutes;
import io.atrium.registry.RegistryService;
import io.atrium.registry.RegistryStore;
import io.atrium.registry.SourceUris;
import io.atrium.sharing.ShareRoutes;
import io.atrium.sharing.ShareService;
import io.atrium.sharing.ShareStore;
import io.atrium.usage.UsageMeter;
import io.atrium.usage.UsageRoutes;
import io.atrium.usage.UsageStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One Atrium server, wired by hand: every part is created here with {@code new}, in dependency
 * order, so the whole object graph can be read top to bottom.
 */
public final class Atrium implements AutoCloseable {
  public static final String ADMIN_NAME = "admin";

  private final Database db;
  private final HttpServer http;
  private final Optional<IdentityService.NewToken> bootstrapToken;
  private final ArtifactStorage artifactStorage;
  private final UsageMeter usageMeter;
  private final Metrics metrics;
  private final ArtifactService artifacts;
  private final AccessEpoch accessEpoch;
  private final AuditLog audit;

  private Atrium(Database db, HttpServer http, Optional<IdentityService.NewToken> bootstrapToken,
      ArtifactStorage artifactStorage, UsageMeter usageMeter, Metrics metrics, ArtifactService artifacts,
      AccessEpoch accessEpoch, AuditLog audit) {
    this.db = db;
    this.audit = audit;
    this.http = http;
    this.bootstrapToken = bootstrapToken;
    this.artifactStorage = artifactStorage;
    this.usageMeter = usageMeter;
    this.metrics = metrics;
    this.artifacts = artifacts;
    this.accessEpoch = accessEpoch;
  }

  /** Migrates the database, creates the first platform admin if there is none, and starts serving. */
  public static Atrium start(AtriumConfig config) {
    ArtifactsConfig artifactsConfig = config.artifacts();
    Clock clock = Clock.systemUTC();
    Database db = Database.open(config);
    ArtifactStorage artifactStorage = null;
    UsageMeter usageMeter = null;
    Metrics metrics = null;
    try {
      AuditLog audit = new AuditLog(db, clock);
      // Entries a crash left in the outbox (committed with their changes, not yet chained).
      audit.chainPending();
      Authz authz = new Authz();

      // Every identity or tenant change advances this epoch; the access caches of the edge follow it.
      AccessEpoch accessEpoch = new AccessEpoch();
      TenantStore tenantStore = new TenantStore(db, accessEpoch);
      IdentityStore identityStore = new IdentityStore(db, accessEpoch);
      TrackingStore trackingStore = new TrackingStore(db);

      // Fair use (issue 4): limits, admission at the edge, usage metering, metrics.
      UsageStore usageStore = new UsageStore(db);
      usageMeter = new UsageMeter(usageStore, clock, 5_000);
      LimitService limits = new LimitService(new LimitStore(db), config.limitDefaults(), clock);
      Admission admission = new Admission(limits::effective, config.admissionCapacity(), System::nanoTime);
      metrics = new Metrics(db, limits, admission);
      FairUse fairUse = new FairUse(admission, usageMeter::add, metrics);

      TenantService tenants = new TenantService(db, tenantStore, identityStore, trackingStore::initializeTenant, clock);
      IdentityService identities = new IdentityService(identityStore, tenants, clock);
      TrackingService tracking = new TrackingService(trackingStore, authz, usageMeter::add, clock);

      // Registry, logged models and cross-tenant sharing (issue 3).
      LoggedModelService loggedModels =
          new LoggedModelService(new LoggedModelStore(db), trackingStore, authz, clock);
      RegistryStore registryStore = new RegistryStore(db);
      ShareStore shareStore = new ShareStore();
      RegistryService registry = new RegistryService(registryStore, shareStore, tenantStore,
          new SourceUris(trackingStore, loggedModels, registryStore), authz, audit, clock);
      ShareService shares = new ShareService(db, shareStore, registryStore, tenants, tenantStore, audit, clock);

      Optional<IdentityService.NewToken> bootstrap = identities.bootstrapAdmin(ADMIN_NAME);

      artifactStorage = artifactsConfig.isS3()
          ? new S3ArtifactStorage(artifactsConfig, config.dataDir().resolve("spool").resolve("s3-parts"))
          : new LocalArtifactStorage(artifactsConfig.localRoot());
      MultipartUploads multipart = new MultipartUploads(artifactStorage, new ArtifactStore(db), new UploadStore(db), authz,
          t -> limits.effective(t).storageBytes(), usageMeter::add, clock);
      ArtifactService artifacts =
          new ArtifactService(artifactStorage, new ArtifactStore(db), trackingStore, authz,
              t -> limits.effective(t).storageBytes(),
              usageMeter::add, () -> tenantStore.list(true),
              List.of(new DeletedRunsGcSource(db)), artifactsConfig.gcRetentionDays(), shares, multipart,
              clock);

      List<Route> routes = new ArrayList<>();
      routes.addAll(new HealthRoutes(db).routes());
      routes.addAll(new TenantRoutes(tenants).routes());
      routes.addAll(new IdentityRoutes(identities, tenantStore).routes());
      routes.addAll(new AuditRoutes(audit, tenants, tenantStore).routes());
      routes.addAll(new MlflowTrackingRoutes(tracking).routes());
      routes.addAll(new WorkspaceRoutes(tenants).routes());
      routes.addAll(new MlflowLoggedModelRoutes(loggedModels, artifacts).routes());
      routes.addAll(new MlflowRegistryRoutes(registry).routes());
      routes.addAll(new ShareRoutes(shares).routes());
      routes.addAll(new ArtifactRoutes(artifacts, multipart).routes());
      routes.addAll(new io.atrium.http.OpenApiRoutes().routes());
      routes.addAll(new LimitRoutes(tenants, limits).routes());
      routes.addAll(new UsageRoutes(tenants, usageMeter, usageStore, clock).routes());
      routes.addAll(new MetricsRoutes(metrics).routes());

      HttpServer http =
          new HttpServer(config, new Authenticator(identityStore, clock, accessEpoch),
              new TenantAccess(tenantStore, identityStore, accessEpoch),
              audit, fairUse, routes);
      http.start();
      return new Atrium(db, http, bootstrap, artifactStorage, usageMeter, metrics, artifacts, accessEpoch, audit);
    } catch (RuntimeException e) {
      if (usageMeter != null) {
        usageMeter.close();
      }
      if (metrics != null) {
        metrics.close();
      }
      if (artifactStorage != null) {
        artifactStorage.close();
      }
      db.close();
      throw e;
    }
  }

  public int port() {
    return http.port();
  }

  public List<Route> routes() {
    return http.routes();
  }

  /** The platform admin's token, present only on the start that created it. */
  public Optional<String> bootstrapToken() {
    return bootstrapToken.map(IdentityService.NewToken::token);
  }

  /**
   * Drops every cached access decision at once. The server does this itself after each identity or
   * tenant change it makes; this is for a change made in the database behind its back (an operator's
   * SQL, a test that back-dates a token), which would otherwise show within a few seconds.
   */
  public void accessChanged() {
    accessEpoch.advance();
  }

  /** Artifact garbage collection, for `atrium gc` run in-process. */
  public ArtifactService artifacts() {
    return artifacts;
  }

  @Override
  public void close() {
    http.stop();
    audit.close();
    usageMeter.close();
    metrics.close();
    artifactStorage.close();
    db.close();
  }

  public static void main(String[] args) {
    System.exit(AtriumCli.run(args));
  }
}
