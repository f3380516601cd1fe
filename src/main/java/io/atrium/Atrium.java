package io.atrium;

import io.atrium.audit.AuditLog;
import io.atrium.audit.AuditRoutes;
import io.atrium.authz.Authz;
import io.atrium.cli.AtriumCli;
import io.atrium.config.AtriumConfig;
import io.atrium.db.Database;
import io.atrium.http.HealthRoutes;
import io.atrium.http.HttpServer;
import io.atrium.http.Route;
import io.atrium.identity.Authenticator;
import io.atrium.identity.IdentityRoutes;
import io.atrium.identity.IdentityService;
import io.atrium.identity.IdentityStore;
import io.atrium.tenancy.TenantAccess;
import io.atrium.tenancy.TenantRoutes;
import io.atrium.tenancy.TenantService;
import io.atrium.tenancy.TenantStore;
import io.atrium.tracking.MlflowTrackingRoutes;
import io.atrium.tracking.TrackingService;
import io.atrium.tracking.TrackingStore;
import io.atrium.tracking.WorkspaceRoutes;
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

  private Atrium(Database db, HttpServer http, Optional<IdentityService.NewToken> bootstrapToken) {
    this.db = db;
    this.http = http;
    this.bootstrapToken = bootstrapToken;
  }

  /** Migrates the database, creates the first platform admin if there is none, and starts serving. */
  public static Atrium start(AtriumConfig config) {
    Clock clock = Clock.systemUTC();
    Database db = Database.open(config);
    try {
      AuditLog audit = new AuditLog(db, clock);
      Authz authz = new Authz();

      TenantStore tenantStore = new TenantStore(db);
      IdentityStore identityStore = new IdentityStore(db);
      TrackingStore trackingStore = new TrackingStore(db);

      TenantService tenants = new TenantService(db, tenantStore, identityStore, trackingStore::initializeTenant, clock);
      IdentityService identities = new IdentityService(identityStore, tenantStore, clock);
      TrackingService tracking = new TrackingService(trackingStore, authz, clock);

      Optional<IdentityService.NewToken> bootstrap = identities.bootstrapAdmin(ADMIN_NAME);

      List<Route> routes = new ArrayList<>();
      routes.addAll(new HealthRoutes(db).routes());
      routes.addAll(new TenantRoutes(tenants).routes());
      routes.addAll(new IdentityRoutes(identities, tenantStore).routes());
      routes.addAll(new AuditRoutes(audit, tenantStore, identityStore).routes());
      routes.addAll(new MlflowTrackingRoutes(tracking).routes());
      routes.addAll(new WorkspaceRoutes(tenants).routes());

      HttpServer http =
          new HttpServer(config, new Authenticator(identityStore, clock), new TenantAccess(tenantStore, identityStore),
              audit, routes);
      http.start();
      return new Atrium(db, http, bootstrap);
    } catch (RuntimeException e) {
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

  @Override
  public void close() {
    http.stop();
    db.close();
  }

  public static void main(String[] args) {
    System.exit(AtriumCli.run(args));
  }
}
