package io.atrium.artifacts;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.common.ErrorCode;
import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLConnection;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MLflow's artifact proxy ({@code /api/2.0/mlflow-artifacts/...}), the run artifact listing
 * ({@code /api/2.0/mlflow/artifacts/list}) and the admin gc route. HTTP only: decode, call, encode.
 *
 * <p>Paths in the URL are taken from the raw request URI and percent-decoded exactly once here
 * (never by the router as well): a path decoded twice is how {@code %252e%252e} becomes {@code ..}.
 */
public final class ArtifactRoutes {
  static final String ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";
  static final String MPU = "/api/2.0/mlflow-artifacts/mpu";
  private static final Pattern SINGLE_RANGE = Pattern.compile("^bytes=(\\d*)-(\\d*)$");

  static final String MPU_PART = MPU + "/part";

  private final ArtifactService artifacts;
  private final MultipartUploads uploads;

  public ArtifactRoutes(ArtifactService artifacts, MultipartUploads uploads) {
    this.artifacts = requireNonNull(artifacts);
    this.uploads = requireNonNull(uploads);
  }

  public List<Route> routes() {
    return List.of(
        Route.read(HandlerType.GET, ARTIFACTS, Scope.TENANT, this::listProxied),
        Route.read(HandlerType.GET, ARTIFACTS + "/<path>", Scope.TENANT, this::download),
        Route.write(HandlerType.PUT, ARTIFACTS + "/<path>", Scope.TENANT, (Route.RawBody) this::upload),
        Route.write(HandlerType.DELETE, ARTIFACTS + "/<path>", Scope.TENANT, this::delete),
        Route.write(HandlerType.POST, MPU + "/create/<path>", Scope.TENANT, this::createMultipart),
        Route.write(HandlerType.POST, MPU + "/complete/<path>", Scope.TENANT, this::completeMultipart),
        Route.write(HandlerType.POST, MPU + "/abort/<path>", Scope.TENANT, this::abortMultipart),
        // Public at the edge: the mlflow client sends no Authorization header to a part URL; the
        // signature in its query is the credential (see MultipartUploads). Not audited, like other
        // public routes; create, complete and abort are.
        Route.write(HandlerType.PUT, MPU_PART + "/{tenant_id}/{upload_id}/{part_number}", Scope.PUBLIC,
            (Route.RawBody) this::uploadPart),
        Route.read(HandlerType.GET, "/api/2.0/mlflow/artifacts/list", Scope.TENANT, this::listRun),
        Route.write(HandlerType.POST, "/api/atrium/v1/gc", Scope.PRINCIPAL, this::gc));
  }

  /** The artifact path of a request: the raw (still encoded) URI after {@code marker}, decoded once. */
  static ArtifactPath pathAfter(Context ctx, String marker) {
    String raw = ctx.req().getRequestURI();
    int i = raw.indexOf(marker);
    if (i < 0) {
      throw MlflowError.invalid("Invalid artifact path");
    }
    return ArtifactPath.fromRawUrlPath(raw.substring(i + marker.length()));
  }

  /**
   * A path given as a query parameter, decoded from the raw query string exactly once and strictly
   * ('+' is a space, as HTML forms and the mlflow client's requests encode it). The server's own
   * query decoding is lenient (malformed escapes and invalid UTF-8 are passed through or replaced),
   * which would let a path reach us in a different form from the one the client sent.
   */
  public static ArtifactPath queryPath(Context ctx, String name) {
    String q = ctx.req().getQueryString();
    if (q == null || q.isEmpty()) {
      return ArtifactPath.ROOT;
    }
    String found = null;
    for (String pair : q.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      if (key.equals(name)) {
        if (found != null) {
          throw MlflowError.invalid("Invalid artifact path: '" + name + "' is given more than once");
        }
        found = eq < 0 ? "" : pair.substring(eq + 1);
      }
    }
    return found == null ? ArtifactPath.ROOT : ArtifactPath.fromRawUrlPath(found.replace('+', ' '));
  }

  private void download(Context ctx) throws IOException {
    RequestContext rc = RequestContext.of(ctx);
    ArtifactPath path = pathAfter(ctx, "/mlflow-artifacts/artifacts/");
    long size = artifacts.fileSize(rc, path);
    long offset = 0;
    long length = size;
    String range = ctx.header("Range");
    int status = 200;
    if (range != null) {
      Matcher m = SINGLE_RANGE.matcher(range.trim());
      // Several ranges or another unit: ignore the header and send the whole file (RFC 9110 allows it).
      if (m.matches() && !(m.group(1).isEmpty() && m.group(2).isEmpty())) {
        long first;
        long last;
        try {
          if (m.group(1).isEmpty()) { // suffix: the last N bytes
            long n = Long.parseLong(m.group(2));
            first = Math.max(0, size - n);
            last = size - 1;
            if (n == 0) {
              first = size; // unsatisfiable below
            }
          } else {
            first = Long.parseLong(m.group(1));
            last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
          }
        } catch (NumberFormatException e) {
          first = size;
          last = -1;
        }
        if (first >= size || last < first) {
          ctx.header("Content-Range", "bytes */" + size);
          ctx.status(416);
          Json.write(ctx, Map.of("error_code", ErrorCode.INVALID_PARAMETER_VALUE.name(), "message", "Range not satisfiable"));
          return;
        }
        offset = first;
        length = last - first + 1;
        status = 206;
        ctx.header("Content-Range", "bytes " + first + "-" + last + "/" + size);
      }
    }
    ctx.status(status);
    ctx.header("Accept-Ranges", "bytes");
    // Always an attachment, never sniffed: a logged .html or .svg must not run in Atrium's origin.
    ctx.header("Content-Disposition", "attachment; filename*=UTF-8''" + URLEncoder.encode(path.name(), StandardCharsets.UTF_8).replace("+", "%20"));
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Content-Security-Policy", "sandbox");
    ctx.contentType(contentType(path.name()));
    ctx.res().setContentLengthLong(length);
    OutputStream out = ctx.res().getOutputStream();
    artifacts.send(rc, path, offset, length, out);
    out.flush();
  }

  private static String contentType(String name) {
    String t = URLConnection.guessContentTypeFromName(name);
    if (t == null || t.contains("html") || t.contains("xml") || t.contains("javascript")) {
      return name.toLowerCase(Locale.ROOT).endsWith(".json") ? "application/json" : t == null ? "application/octet-stream" : "text/plain";
    }
    return t;
  }

  private void upload(Context ctx) throws IOException {
    RequestContext rc = RequestContext.of(ctx);
    ArtifactPath path = pathAfter(ctx, "/mlflow-artifacts/artifacts/");
    long length = ctx.req().getContentLengthLong();
    artifacts.upload(rc, path, ctx.req().getInputStream(), length);
    Json.write(ctx, Map.of());
  }

  private void delete(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    artifacts.delete(rc, pathAfter(ctx, "/mlflow-artifacts/artifacts/"));
    Json.write(ctx, Map.of());
  }

  private void listProxied(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    ArtifactPath dir = queryPath(ctx, "path");
    List<Map<String, Object>> files = new ArrayList<>();
    for (ArtifactStorage.Entry e : artifacts.list(rc, dir)) {
      files.add(fileInfo(e.name(), e));
    }
    Json.write(ctx, files.isEmpty() ? Map.of() : Map.of("files", files));
  }

  private void listRun(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    String runId = ctx.queryParam("run_id");
    if (runId == null || runId.isBlank()) {
      runId = ctx.queryParam("run_uuid");
    }
    if (runId == null || runId.isBlank()) {
      throw MlflowError.invalid("Missing value for required parameter 'run_id'");
    }
    ArtifactPath rel = queryPath(ctx, "path");
    ArtifactService.RunListing l = artifacts.listRun(rc, runId, rel, ctx.queryParam("page_token"));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("root_uri", l.rootUri());
    List<Map<String, Object>> files = new ArrayList<>();
    for (ArtifactStorage.Entry e : l.files()) {
      files.add(fileInfo(rel.isRoot() ? e.name() : rel.value() + "/" + e.name(), e));
    }
    if (!files.isEmpty()) {
      body.put("files", files);
    }
    l.nextPageToken().ifPresent(t -> body.put("next_page_token", t));
    Json.write(ctx, body);
  }

  private static Map<String, Object> fileInfo(String path, ArtifactStorage.Entry e) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("path", path);
    f.put("is_dir", e.dir());
    if (!e.dir()) {
      f.put("file_size", e.size());
    }
    return f;
  }

  /**
   * MLflow's CreateMultipartUpload: the URL names the directory, the body's {@code path} the client's
   * local file (only its base name is used). Answers the upload id and one signed part URL per part.
   */
  private void createMultipart(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    uploads.requireWrite(rc);
    ArtifactPath dir = pathAfter(ctx, "/mlflow-artifacts/mpu/create/");
    JsonNode body = Json.readTree(ctx);
    ArtifactPath path = MultipartUploads.target(dir, text(body, "path"));
    JsonNode n = body.get("num_parts");
    if (n != null && !n.isNull() && !n.canConvertToInt() && !(n.isTextual() && n.asText().matches("\\d{1,9}"))) {
      throw MlflowError.invalid("num_parts must be an integer");
    }
    MultipartUploads.Created created = uploads.create(rc, path, n == null || n.isNull() ? 1 : n.asInt());
    String base = ctx.scheme() + "://" + ctx.host() + MPU_PART + "/" + created.tenant().value() + "/" + created.uploadId() + "/";
    List<Map<String, Object>> credentials = new ArrayList<>();
    for (MultipartUploads.PartGrant g : created.parts()) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("url", base + g.partNumber() + "?expires=" + g.expiresEpochSeconds() + "&sig=" + g.signature());
      c.put("part_number", g.partNumber());
      c.put("headers", Map.of());
      credentials.add(c);
    }
    Json.write(ctx, Map.of("upload_id", created.uploadId(), "credentials", credentials));
  }

  private void completeMultipart(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    uploads.requireWrite(rc);
    ArtifactPath dir = pathAfter(ctx, "/mlflow-artifacts/mpu/complete/");
    JsonNode body = Json.readTree(ctx);
    ArtifactPath path = MultipartUploads.target(dir, text(body, "path"));
    String uploadId = text(body, "upload_id");
    JsonNode parts = body.get("parts");
    if (parts == null || !parts.isArray()) {
      throw MlflowError.invalid("Missing value for required parameter 'parts'");
    }
    List<MultipartUploads.ClientPart> listed = new ArrayList<>();
    for (JsonNode p : parts) {
      JsonNode num = p.get("part_number");
      if (num == null || !num.canConvertToInt()) {
        throw MlflowError.invalid("Each part needs an integer part_number");
      }
      JsonNode etag = p.get("etag");
      listed.add(new MultipartUploads.ClientPart(num.asInt(), etag == null || etag.isNull() ? null : etag.asText()));
    }
    uploads.complete(rc, path, uploadId, listed);
    Json.write(ctx, Map.of());
  }

  private void abortMultipart(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    uploads.requireWrite(rc);
    ArtifactPath dir = pathAfter(ctx, "/mlflow-artifacts/mpu/abort/");
    JsonNode body = Json.readTree(ctx);
    uploads.abort(rc, MultipartUploads.target(dir, text(body, "path")), text(body, "upload_id"));
    Json.write(ctx, Map.of());
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual()) {
      throw MlflowError.invalid("Missing value for required parameter '" + field + "'");
    }
    return v.asText();
  }

  /** A part PUT to a signed URL; every malformed piece of the URL is the same 404 as a bad signature. */
  private void uploadPart(Context ctx) throws IOException {
    long tenant;
    int part;
    long expires;
    try {
      tenant = Long.parseLong(Route.pathParam(ctx, "tenant_id"));
      part = Integer.parseInt(Route.pathParam(ctx, "part_number"));
      expires = Long.parseLong(String.valueOf(ctx.queryParam("expires")));
    } catch (NumberFormatException e) {
      throw MlflowError.notFound("No such upload part");
    }
    String etag = uploads.putPart(tenant, Route.pathParam(ctx, "upload_id"), part, expires, ctx.queryParam("sig"),
        ctx.req().getInputStream(), ctx.req().getContentLengthLong());
    ctx.header("ETag", etag);
    Json.write(ctx, Map.of());
  }

  private void gc(Context ctx) {
    RequestContext rc = RequestContext.of(ctx);
    JsonNode body = ctx.contentLength() > 0 ? Json.readTree(ctx) : Json.MAPPER.createObjectNode();
    JsonNode days = body.get("retention_days");
    if (days != null && !days.canConvertToInt()) {
      throw MlflowError.invalid("retention_days must be an integer");
    }
    ArtifactService.GcResult r = artifacts.gc(rc, days == null ? OptionalInt.empty() : OptionalInt.of(days.asInt()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("retention_days", r.retentionDays());
    out.put("tenants", r.tenants());
    out.put("directories_removed", r.directories());
    out.put("files_removed", r.files());
    out.put("bytes_freed", r.bytesFreed());
    Json.write(ctx, out);
  }
}
