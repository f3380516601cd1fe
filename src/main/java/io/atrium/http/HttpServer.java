package io.atrium.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.audit.AuditEvent;
import io.atrium.audit.AuditLog;
import io.atrium.common.ErrorCode;
import io.atrium.common.MlflowError;
import io.atrium.config.AtriumConfig;
import io.atrium.identity.Authenticator;
import io.atrium.limits.FairUse;
import io.atrium.tenancy.TenantAccess;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.NotFoundResponse;
import io.javalin.json.JavalinJackson;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP edge. Every request passes the same steps, in this order, before a handler sees it:
 * request id → authentication → tenant → (handler: authorization and work) → audit. Errors of any
 * kind leave as MLflow's {@code {"error_code", "message"}} JSON; stack traces stay in the log.
 */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger("atrium.http");
  private static final Pattern REQUEST_ID = Pattern.compile("^[A-Za-z0-9._-]{1,64}$");
  private static final Pattern TOKEN_LIKE = Pattern.compile("atr_[0-9a-fA-F]{8,}_[A-Za-z0-9_-]{8,}");
  private static final String TENANT_PARAM = "tenant";
  static final String ROUTE_ATTRIBUTE = "atrium.route";
  public static final String WORKSPACE_HEADER = "X-MLFLOW-WORKSPACE";

  private final AtriumConfig config;
  private final Authenticator authenticator;
  private final TenantAccess tenantAccess;
  private final AuditLog audit;
  private final FairUse fairUse;
  private final List<Route> routes;
  private final RefusalLog refusals =
      new RefusalLog(System::nanoTime, (tenant, n, seconds) -> log.info(
          "event=requests_refused tenant={} status=429 count={} window_s={} note=\"not logged one by one; see atrium_throttled_requests_total\"",
          tenant, n, seconds));
  private final ScheduledExecutorService refusalFlush =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("atrium-refusal-log").factory());
  private Javalin app;

  public HttpServer(
      AtriumConfig config, Authenticator authenticator, TenantAccess tenantAccess, AuditLog audit, FairUse fairUse,
      List<Route> routes) {
    this.config = requireNonNull(config);
    this.authenticator = requireNonNull(authenticator);
    this.tenantAccess = requireNonNull(tenantAccess);
    this.audit = requireNonNull(audit);
    this.fairUse = requireNonNull(fairUse);
    this.routes = List.copyOf(routes);
  }

  /** Every path a route is served at: MLflow routes also under /ajax-api/ and under /t/{tenant}/. */
  public static List<String> servedPaths(Route r) {
    List<String> paths = new ArrayList<>(List.of(r.path()));
    if (r.scope() == Route.Scope.TENANT) {
      if (r.path().startsWith("/api/")) {
        paths.add("/ajax-api/" + r.path().substring("/api/".length()));
      }
      for (String p : List.copyOf(paths)) {
        paths.add(Router.TENANT_PREFIX + p);
      }
    }
    return paths;
  }

  public List<Route> routes() {
    return routes;
  }

  public HttpServer start() {
    app =
        Javalin.create(
            cfg -> {
              cfg.concurrency.useVirtualThreads = true;
              cfg.http.maxRequestSize = config.maxBodyBytes();
              cfg.http.prefer405over404 = false;
              cfg.startup.showJavalinBanner = false;
              // Requests Jetty refuses itself (illegal bytes in the URI) get JSON too, not an HTML page.
              cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
              cfg.jsonMapper(new JavalinJackson(Json.MAPPER, true));
              // The copy buffer Javalin allocates for each answer it writes itself (a streamed
              // artifact download); JSON answers are written by Json.flush without one.
              cfg.http.responseBufferSize = 8192;
              cfg.requestLogger.http(this::logRequest);
              // One catch-all per method; Router picks the route (Javalin's matcher would try each of
              // several hundred paths with a regular expression, see Router).
              Router router = Router.of(routes);
              Map<Route, Handler> edges = new java.util.IdentityHashMap<>();
              for (Route r : routes) {
                edges.put(r, edge(r));
              }
              for (HandlerType m : router.methods()) {
                cfg.routes.addHttpHandler(m, "*", ctx -> {
                  Router.Match match = router.find(m, ctx.req().getRequestURI())
                      .orElseThrow(() -> new NotFoundResponse());
                  ctx.attribute(Route.PARAMS_ATTRIBUTE, match.params());
                  edges.get(match.route()).handle(ctx);
                });
              }
              cfg.routes.exception(MlflowError.class, (e, ctx) -> respond(ctx, e));
              cfg.routes.exception(Json.UnsupportedMediaType.class, (e, ctx) -> {
                // The body was refused unread: close the connection rather than leave the client a
                // keep-alive connection the server will drop, which it would otherwise try to reuse.
                ctx.header("Connection", "close");
                respond(ctx, 415, ErrorCode.BAD_REQUEST, e.getMessage());
              });
              cfg.routes.exception(HttpResponseException.class, this::javalinError);
              cfg.routes.exception(Exception.class, this::unexpected);
            });
    app.start(config.host(), config.port());
    long every = RefusalLog.WINDOW_NANOS;
    refusalFlush.scheduleAtFixedRate(refusals::flush, every, every, TimeUnit.NANOSECONDS);
    return this;
  }

  public int port() {
    return app.port();
  }

  public void stop() {
    if (app != null) {
      app.stop();
    }
    refusalFlush.shutdownNow();
    refusals.flushAll();
  }

  private Handler edge(Route route) {
    return ctx -> {
      String requestId = requestId(ctx);
      ctx.attribute(ROUTE_ATTRIBUTE, route);
      ctx.header("X-Request-Id", requestId);
      // Artifact uploads (Route.RawBody) stream their body to storage and are bounded by the quota instead.
      if (!(route.handler() instanceof Route.RawBody) && ctx.contentLength() > config.maxBodyBytes()) {
        ctx.header("Connection", "close"); // refused unread, as for 415 below
        throw new MlflowError(ErrorCode.BAD_REQUEST, "Request body exceeds " + config.maxBodyBytes() + " bytes");
      }
      // A route that ignores its body (tenant suspend/reactivate) would otherwise accept a cross-site
      // form or text/plain post, which browsers send without a preflight (the CVE-2023-43472 shape):
      // any non-JSON body type is refused here, for every route, whether or not the handler reads it.
      if (!(route.handler() instanceof Route.RawBody) && ctx.method() != io.javalin.http.HandlerType.GET
          && ctx.contentType() != null && !Json.isJsonMediaType(ctx.contentType())) {
        throw new Json.UnsupportedMediaType();
      }
      if (route.scope() == Route.Scope.PUBLIC) {
        route.handler().handle(ctx);
        Json.flush(ctx);
        return;
      }
      var auth = authenticator.authenticate(Collections.list(ctx.req().getHeaders("Authorization")));
      if (auth.isEmpty()) {
        recordDenial(ctx, route, "anonymous", Optional.empty(), AuditEvent.Outcome.UNAUTHENTICATED, requestId);
        ctx.header("WWW-Authenticate", "Bearer realm=\"atrium\"");
        throw MlflowError.unauthenticated();
      }
      var principal = auth.get().principal();
      RequestContext rc;
      if (route.scope() == Route.Scope.TENANT) {
        Optional<String> named =
            Optional.ofNullable(Route.pathParams(ctx).get(TENANT_PARAM))
                .or(() -> Optional.ofNullable(ctx.header(WORKSPACE_HEADER)).filter(s -> !s.isBlank()).map(String::trim));
        TenantAccess.Access access;
        try {
          access = tenantAccess.resolve(principal, auth.get().token(), named);
        } catch (MlflowError e) {
          recordDenial(ctx, route, principal.name(), Optional.empty(), outcomeOf(e), requestId);
          throw e;
        }
        rc = new RequestContext(principal, auth.get().token(), access.tenant(), access.role(), requestId, ctx.ip());
      } else {
        rc = new RequestContext(principal, auth.get().token(), null, null, requestId, ctx.ip());
      }
      ctx.attribute(RequestContext.ATTRIBUTE, rc);
      // Admission comes before any work and any audit write: a flood of refused requests must cost
      // next to nothing, so 429s are counted in metrics and usage, not appended to the audit chain.
      var permit = rc.hasTenant() ? fairUse.admit(rc.tenant(), route) : null;
      // A data-plane mutation's entry rides in the transaction of the change itself: one commit, and
      // no crash can keep the change without its entry (AuditLog.carry). Control-plane changes are
      // recorded right after they commit, as before: their entry's tenant is looked up in the
      // database, which must see the change committed (a deleted tenant no longer files entries).
      AuditLog.Carried entry = route.mutates() && rc.hasTenant()
          ? audit.carry(() -> event(ctx, route, rc, AuditEvent.Outcome.OK))
          : null;
      try {
        route.handler().handle(ctx);
      } catch (MlflowError e) {
        if (route.mutates() || e.code() == ErrorCode.PERMISSION_DENIED) {
          record(ctx, route, rc, outcomeOf(e));
        }
        throw e;
      } finally {
        if (entry != null) {
          entry.close();
        }
        if (permit != null) {
          permit.close();
        }
      }
      if (route.mutates() && (entry == null || !entry.written())) {
        record(ctx, route, rc, AuditEvent.Outcome.OK);
      }
      Json.flush(ctx);
    };
  }

  private static AuditEvent.Outcome outcomeOf(MlflowError e) {
    return switch (e.code()) {
      case PERMISSION_DENIED -> AuditEvent.Outcome.DENIED;
      case UNAUTHENTICATED -> AuditEvent.Outcome.UNAUTHENTICATED;
      case RESOURCE_DOES_NOT_EXIST, ENDPOINT_NOT_FOUND -> AuditEvent.Outcome.NOT_FOUND;
      case RESOURCE_EXHAUSTED, REQUEST_LIMIT_EXCEEDED -> AuditEvent.Outcome.THROTTLED;
      case INTERNAL_ERROR, TEMPORARILY_UNAVAILABLE, NOT_IMPLEMENTED -> AuditEvent.Outcome.ERROR;
      default -> AuditEvent.Outcome.INVALID;
    };
  }

  private void record(Context ctx, Route route, RequestContext rc, AuditEvent.Outcome outcome) {
    audit.record(event(ctx, route, rc, outcome));
  }

  private AuditEvent event(Context ctx, Route route, RequestContext rc, AuditEvent.Outcome outcome) {
    return new AuditEvent(
        rc.actor(),
        rc.hasTenant() ? Optional.of(rc.tenant().id()) : addressedTenant(ctx, route, rc),
        route.id(),
        resourceOf(ctx),
        outcome,
        rc.requestId(),
        rc.clientAddress());
  }

  /**
   * The tenant a control-plane request under /api/atrium/v1/tenants/{name}/ is about, so that its
   * entry shows in that tenant's own audit log (member changes, service accounts, denials there).
   * Only when the caller may enter the tenant: filing a stranger's probe under it would show one
   * tenant's admins the names of another tenant's people.
   */
  private Optional<io.atrium.tenancy.TenantId> addressedTenant(Context ctx, Route route, RequestContext rc) {
    String name = Route.pathParams(ctx).get("name");
    if (name == null || !route.path().startsWith("/api/atrium/v1/tenants/{name}")) {
      return Optional.empty();
    }
    return tenantAccess.auditTenant(rc.principal(), rc.token(), name);
  }

  private void recordDenial(
      Context ctx, Route route, String actor, Optional<io.atrium.tenancy.TenantId> tenant, AuditEvent.Outcome outcome,
      String requestId) {
    audit.record(new AuditEvent(actor, tenant, route.id(), resourceOf(ctx), outcome, requestId, ctx.ip()));
  }

  /** A short description of what a request addressed: its path parameters and id-like body fields. */
  private static String resourceOf(Context ctx) {
    StringBuilder sb = new StringBuilder();
    Route.pathParams(ctx).forEach((k, v) -> sb.append(k).append('=').append(v).append(' '));
    Object cached = ctx.attribute("atrium.json-body");
    if (cached instanceof JsonNode body) {
      for (String f : List.of("experiment_id", "run_id", "run_uuid", "name", "new_name", "key", "principal", "tenant")) {
        JsonNode v = body.get(f);
        if (v != null && v.isValueNode()) {
          String s = v.asText();
          sb.append(f).append('=').append(s.length() > 200 ? s.substring(0, 200) : s).append(' ');
        }
      }
    }
    return redactTokens(sb.toString().trim());
  }

  /**
   * Messages echo what the caller sent (a tenant, principal or token id, an experiment name); a
   * token pasted into the wrong place must still never be written back, nor into the audit log.
   */
  static String redactTokens(String text) {
    return text == null ? null : TOKEN_LIKE.matcher(text).replaceAll("atr_<redacted>");
  }

  private static String requestId(Context ctx) {
    String given = ctx.header("X-Request-Id");
    return given != null && REQUEST_ID.matcher(given).matches() ? given : UUID.randomUUID().toString();
  }

  private void respond(Context ctx, MlflowError e) {
    if (e.retryAfterSeconds() > 0) {
      ctx.header("Retry-After", Long.toString(e.retryAfterSeconds()));
    }
    settleUnreadBody(ctx);
    respond(ctx, e.httpStatus(), e.code(), e.getMessage());
  }

  /** The largest unread body that is read and dropped after a refusal rather than closing the connection. */
  static final long DRAIN_LIMIT = 1 << 20;

  /**
   * Where drained bodies are read to. Shared by every request at once on purpose: nothing ever reads
   * it, so concurrent writes into it are harmless, and a flood of refused requests allocates no
   * buffer per request (InputStream.transferTo took 16 KiB each, 6% of the allocation under a flood).
   */
  private static final byte[] DRAIN_SINK = new byte[8192];

  /**
   * A request refused before its body was read (401, an unknown tenant, 429 above all): the client
   * has sent, or is sending, that body on a keep-alive connection. Left unread, Jetty closed the
   * connection after the answer without saying so, and a client that reused it got no bytes on its
   * next request (44 such failures among W1's 64 clients on PostgreSQL, next to 739 fair-share 429s).
   * So a JSON body of known length up to {@link #DRAIN_LIMIT} is read and dropped, which keeps the
   * connection; any other (an artifact upload, a chunked body) gets {@code Connection: close}, so the
   * client knows not to reuse it. A body already read leaves nothing to drain.
   */
  private void settleUnreadBody(Context ctx) {
    if (ctx.method() == io.javalin.http.HandlerType.GET || ctx.method() == io.javalin.http.HandlerType.HEAD) {
      return;
    }
    Route route = ctx.attribute(ROUTE_ATTRIBUTE);
    long length = ctx.contentLength();
    // No Content-Length and no Transfer-Encoding: an HTTP/1.1 request without a body (a DELETE, a bare POST).
    if (length == 0 || (length < 0 && ctx.header("Transfer-Encoding") == null)) {
      return;
    }
    boolean raw = route != null && route.handler() instanceof Route.RawBody;
    boolean closing = "close".equalsIgnoreCase(ctx.res().getHeader("Connection"));
    if (!raw && !closing && length > 0 && length <= Math.min(DRAIN_LIMIT, config.maxBodyBytes())) {
      try {
        var in = ctx.req().getInputStream();
        while (in.read(DRAIN_SINK) >= 0) {
          // dropped
        }
        return;
      } catch (java.io.IOException | RuntimeException e) {
        // the client went away or sent less than it announced: nothing left to keep
      }
    }
    ctx.header("Connection", "close");
  }

  private static void respond(Context ctx, int status, ErrorCode code, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error_code", code.name());
    body.put("message", redactTokens(message));
    ctx.status(status);
    Json.send(ctx, body);
  }

  private void javalinError(HttpResponseException e, Context ctx) {
    int status = e.getStatus();
    ErrorCode code =
        switch (status) {
          case 404 -> ErrorCode.ENDPOINT_NOT_FOUND;
          case 405 -> ErrorCode.ENDPOINT_NOT_FOUND;
          case 413 -> ErrorCode.BAD_REQUEST;
          case 401 -> ErrorCode.UNAUTHENTICATED;
          case 403 -> ErrorCode.PERMISSION_DENIED;
          default -> status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.BAD_REQUEST;
        };
    String message =
        switch (status) {
          case 404, 405 -> "No API endpoint " + ctx.method() + " " + safePath(ctx);
          case 413 -> "Request body exceeds " + config.maxBodyBytes() + " bytes";
          default -> e.getMessage();
        };
    respond(ctx, status, code, message);
  }

  private void unexpected(Exception e, Context ctx) {
    String rid = String.valueOf(ctx.res().getHeader("X-Request-Id"));
    log.error("event=unhandled_error request_id={} route={} error={}", rid, routeId(ctx), e.toString(), e);
    respond(ctx, 500, ErrorCode.INTERNAL_ERROR, "Internal error (request id " + rid + ")");
  }

  private static String safePath(Context ctx) {
    String p = ctx.path();
    p = p.length() > 200 ? p.substring(0, 200) : p;
    return p.replaceAll("[^\\x20-\\x7e]", "?");
  }

  private static String routeId(Context ctx) {
    Route r = ctx.attribute(ROUTE_ATTRIBUTE);
    return r == null ? "none" : r.id();
  }

  private void logRequest(Context ctx, Float ms) {
    RequestContext rc = ctx.attribute(RequestContext.ATTRIBUTE);
    String tenant = rc != null && rc.hasTenant() ? rc.tenant().name() : null;
    fairUse.finished(tenant != null ? tenant : "none", ctx.attribute(ROUTE_ATTRIBUTE), ctx.statusCode(), ms);
    String logged = tenant != null ? tenant : "-";
    if (ctx.statusCode() == 429 && !refusals.logInFull(logged)) {
      return; // counted: a flood's refusals are logged one per tenant and window (RefusalLog)
    }
    log.info(
        "event=request request_id={} tenant={} principal={} method={} route=\"{}\" status={} ms={}",
        ctx.res().getHeader("X-Request-Id"),
        logged,
        rc != null ? rc.actor() : "-",
        ctx.method(),
        routeId(ctx),
        ctx.statusCode(),
        String.format("%.1f", ms));
  }
}
