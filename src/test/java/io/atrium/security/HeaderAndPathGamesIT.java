package io.atrium.security;

import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.http.Route;
import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.ServerPool;
import io.atrium.security.World.Caller;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Games with headers and paths that have broken other multi-tenant servers: a workspace header naming
 * someone else's tenant, {@code ..} and encoded slashes in the tenant prefix, case variants, doubled
 * and conflicting credentials, spoofed Host and X-Forwarded-* headers, CORS, and CSRF-shaped posts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HeaderAndPathGamesIT {
  private static final String SEARCH = "/api/2.0/mlflow/experiments/search?max_results=100";
  private final ServerPool<World> pool = new ServerPool<>(World::build);

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  /**
   * What only globex has and does not share with acme: seeing one means globex leaked (globex's model
   * itself is shared with acme, so it legitimately shows in acme's registry as shared.globex.*).
   */
  private static List<String> globexOnly(World w) {
    return List.of("globex-scratch-", w.globex.run(), "\"" + w.globex.experimentName() + "\"");
  }

  private static String body(Raw.Answer a) {
    return a.status() + " " + a.body();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aWorkspaceHeaderNamingAnotherTenantLooksLikeAMissingOne(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String eddie = w.tokens.get(Caller.EDITOR);
    for (String route : List.of(SEARCH, "/api/2.0/mlflow/registered-models/search",
        "/api/2.0/mlflow/runs/get?run_id=" + w.globex.run(), "/api/2.0/mlflow/artifacts/list?run_id=" + w.globex.run())) {
      TestServer.Response other = Call.get(w.s, route).bearer(eddie).header("X-MLFLOW-WORKSPACE", "globex").send();
      TestServer.Response never = Call.get(w.s, route).bearer(eddie).header("X-MLFLOW-WORKSPACE", "nosuchco").send();
      assertThat(other.status()).as(other.body()).isEqualTo(404);
      assertThat(other.body().replace("globex", "X")).isEqualTo(never.body().replace("nosuchco", "X"));
      for (String variant : List.of("GLOBEX", " globex ", "globex,acme", "acme,globex", "globex\t", "Globex")) {
        TestServer.Response r = Call.get(w.s, route).bearer(eddie).header("X-MLFLOW-WORKSPACE", variant).send();
        assertThat(r.status()).as(variant + ": " + r.body()).isIn(200, 400, 404);
        globexOnly(w).stream().filter(n -> !route.contains(n))
            .forEach(n -> assertThat(r.body()).as(variant).doesNotContain(n));
      }
      // Two workspace headers: never globex.
      TestServer.Response two = Call.get(w.s, route).bearer(eddie).header("X-MLFLOW-WORKSPACE", "acme")
          .header("X-MLFLOW-WORKSPACE", "globex").send();
      globexOnly(w).stream().filter(n -> !route.contains(n)).forEach(n -> assertThat(two.body()).doesNotContain(n));
    }
    // The path prefix wins over the header: /t/acme with a globex header acts in acme.
    TestServer.Response prefixed = Call.get(w.s, "/t/acme" + SEARCH).bearer(eddie).header("X-MLFLOW-WORKSPACE", "globex").send();
    assertThat(prefixed.status()).isEqualTo(200);
    assertThat(prefixed.body()).contains(w.acme.experimentName());
    globexOnly(w).forEach(n -> assertThat(prefixed.body()).doesNotContain(n));
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void dotSegmentsEncodedSlashesCaseAndDoubleSlashesNeverReachAnotherTenant(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String eddie = w.tokens.get(Caller.EDITOR);
    int port = w.s.atrium().port();
    List<String> paths = List.of(
        "/t/acme/../globex" + SEARCH, "/t/acme/..%2Fglobex" + SEARCH, "/t/acme%2F..%2Fglobex" + SEARCH,
        "/t/acme/%2e%2e/globex" + SEARCH, "/t/acme/%2E%2E/globex" + SEARCH, "/t/acme/.%2e/globex" + SEARCH,
        "/t/acme%2fglobex" + SEARCH, "/t/globex%2F" + SEARCH, "/t/%67lobex" + SEARCH, "/t/GLOBEX" + SEARCH,
        "/t/Globex" + SEARCH, "/t/globex%00" + SEARCH, "/t/globex;v=1" + SEARCH, "/t/globex/" + SEARCH,
        "//t/globex" + SEARCH, "/t//globex" + SEARCH, "/t/acme//../globex" + SEARCH, "/t/acme/./../globex" + SEARCH,
        "/t/acme\\..\\globex" + SEARCH, "/t/acme/%5C..%5Cglobex" + SEARCH, "/t/acme/%252e%252e/globex" + SEARCH,
        "/t/globex/../acme" + SEARCH, "/./t/globex" + SEARCH, "/t/%20globex" + SEARCH, "/t/globex%20" + SEARCH);
    List<String> problems = new ArrayList<>();
    for (String p : paths) {
      Raw.Answer a = Raw.send(port, "GET " + p + " HTTP/1.1\r\nAuthorization: Bearer " + eddie, null);
      if (a.status() >= 500) {
        problems.add(p + ": server error " + body(a));
      }
      for (String n : globexOnly(w)) {
        if (a.body().contains(n)) {
          problems.add(p + ": globex's " + n + " leaked: " + body(a));
        }
      }
      if (a.status() == 200 && !a.body().contains(w.acme.experimentName())) {
        problems.add(p + ": 200 but not acme's data: " + body(a));
      }
    }
    // gina (globex's owner) the other way round: the same games never land her in acme.
    String gina = w.tokens.get(Caller.STRANGER);
    for (String p : paths) {
      String q = p.replace("globex", "TMP").replace("acme", "globex").replace("TMP", "acme").replace("%67lobex", "%61cme");
      Raw.Answer a = Raw.send(port, "GET " + q + " HTTP/1.1\r\nAuthorization: Bearer " + gina, null);
      if (a.body().contains(w.acme.experimentName()) || a.body().contains(w.acme.model())) {
        problems.add(q + " as gina: acme leaked: " + body(a));
      }
    }
    assertThat(problems).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void duplicateAndConflictingCredentialsAreRefused(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String eddie = w.tokens.get(Caller.EDITOR);
    String gina = w.tokens.get(Caller.STRANGER);
    String basic = java.util.Base64.getEncoder().encodeToString(("eddie:" + eddie).getBytes(StandardCharsets.UTF_8));
    int port = w.s.atrium().port();
    List<String> heads = List.of(
        "Authorization: Bearer " + eddie + "\r\nAuthorization: Bearer " + eddie,
        "Authorization: Bearer " + eddie + "\r\nAuthorization: Bearer " + gina,
        "Authorization: Bearer " + gina + "\r\nAuthorization: Bearer " + eddie,
        "Authorization: Bearer " + eddie + "\r\nAuthorization: Basic " + basic,
        "Authorization: Bearer " + eddie + ", Bearer " + gina,
        "Authorization: Bearer " + eddie + " " + gina,
        "Authorization: Bearer " + eddie + "\r\nauthorization: Bearer " + gina,
        "Authorization: Bearer\r\nAuthorization: Bearer " + eddie,
        "Authorization: Bearer " + eddie + "\r\nAuthorization:");
    for (String path : List.of("/t/acme" + SEARCH, "/api/atrium/v1/whoami", "/t/globex" + SEARCH)) {
      for (String h : heads) {
        Raw.Answer a = Raw.send(port, "GET " + path + " HTTP/1.1\r\n" + h, null);
        assertThat(a.status()).as(path + " with " + h.replace(eddie, "<eddie>").replace(gina, "<gina>") + ": " + a.body())
            .isEqualTo(401);
        assertThat(a.body()).doesNotContain(eddie.substring(29)).doesNotContain(gina.substring(29));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void hostAndForwardedHeadersChangeNeitherTenantNorAuditAddressNorEmittedUrls(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String eddie = w.tokens.get(Caller.EDITOR);
    int port = w.s.atrium().port();
    String spoof = "\r\nX-Forwarded-For: 203.0.113.66\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https"
        + "\r\nX-Forwarded-Port: 8443\r\nForwarded: for=203.0.113.66;host=evil.example;proto=https"
        + "\r\nX-Real-IP: 203.0.113.66\r\nX-Original-URL: /t/globex/api/2.0/mlflow/experiments/search"
        + "\r\nX-Rewrite-URL: /t/globex/api/2.0/mlflow/experiments/search\r\nX-Forwarded-Prefix: /t/globex";
    List<String[]> calls = List.of(
        new String[] {"POST", "/t/acme/api/2.0/mlflow/experiments/create", "{\"name\":\"spoofed-host-exp\"}"},
        new String[] {"GET", "/api/2.0/mlflow/experiments/search?max_results=100", null},
        new String[] {"GET", "/t/acme/api/2.0/mlflow/model-versions/get-download-uri?name=" + w.acme.model() + "&version=1", null},
        new String[] {"GET", "/t/acme/api/2.0/mlflow/artifacts/list?run_id=" + w.acme.run(), null},
        new String[] {"POST", "/t/acme/api/2.0/mlflow/logged-models", "{\"experiment_id\":\"" + w.acme.experiment() + "\"}"},
        new String[] {"GET", "/t/acme/api/2.0/mlflow/runs/get?run_id=" + w.acme.run(), null},
        new String[] {"GET", "/t/acme/api/2.0/mlflow/nope", null},
        new String[] {"GET", "/api/3.0/mlflow/server-info", null},
        new String[] {"GET", "/api/atrium/v1/openapi.json", null});
    for (String[] c : calls) {
      String rid = "spoof-" + Math.abs(c[1].hashCode());
      Raw.Answer a = Raw.send(port, c[0] + " " + c[1] + " HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer " + eddie
          + "\r\nX-Request-Id: " + rid + (c[2] == null ? "" : "\r\nContent-Type: application/json") + spoof,
          c[2] == null ? null : c[2].getBytes(StandardCharsets.UTF_8));
      assertThat(a.status()).as(c[1] + ": " + a.body()).isLessThan(500);
      // ":8443", the spoofed port as a URL would carry it: a bare "8443" also turns up inside the
      // echoed request id, which is made from the path and its random run id.
      assertThat(a.head() + a.body()).as(c[1]).doesNotContain("evil.example").doesNotContain("203.0.113.66")
          .doesNotContain(":8443");
      globexOnly(w).forEach(n -> assertThat(a.body()).as(c[1]).doesNotContain(n));
      // Without a tenant in the path, eddie's home tenant acme is used, not anything a header says.
      if (c[1].startsWith("/api/2.0/mlflow/experiments/search")) {
        assertThat(a.body()).contains(w.acme.experimentName());
      }
    }
    // The audit log records the socket's address, not the one the client claims.
    JsonNode log = World.ok(w.s.get(w.admin(), "/api/atrium/v1/tenants/acme/audit?limit=200"));
    List<JsonNode> spoofed = new ArrayList<>();
    log.path("entries").forEach(e -> {
      if (e.path("request_id").asText().startsWith("spoof-")) {
        spoofed.add(e);
      }
    });
    assertThat(spoofed).as("the spoofed mutations were audited").isNotEmpty();
    for (JsonNode e : spoofed) {
      assertThat(e.path("client_address").asText()).as(e.toString()).isIn("127.0.0.1", "0:0:0:0:0:0:0:1", "::1");
      assertThat(e.path("tenant").asText()).isEqualTo("acme");
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void noCorsHeadersForCrossOriginRequestsOrPreflights(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String eddie = w.tokens.get(Caller.EDITOR);
    int port = w.s.atrium().port();
    for (String path : List.of("/t/acme" + SEARCH, "/t/acme/api/2.0/mlflow/experiments/create", "/api/atrium/v1/whoami",
        "/api/atrium/v1/openapi.json", "/health", "/t/acme/api/2.0/mlflow-artifacts/artifacts/" + w.acme.artifact())) {
      List<Raw.Answer> answers = List.of(
          Raw.send(port, "GET " + path + " HTTP/1.1\r\nOrigin: https://evil.example\r\nAuthorization: Bearer " + eddie, null),
          Raw.send(port, "OPTIONS " + path + " HTTP/1.1\r\nOrigin: https://evil.example\r\n"
              + "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type", null),
          Raw.send(port, "POST " + path + " HTTP/1.1\r\nOrigin: null\r\nAuthorization: Bearer " + eddie
              + "\r\nContent-Type: text/plain", "{\"name\":\"cors-exp\"}".getBytes(StandardCharsets.UTF_8)));
      for (Raw.Answer a : answers) {
        assertThat(a.head().toLowerCase(java.util.Locale.ROOT)).as(path + ": " + a.head())
            .doesNotContain("access-control-allow");
        assertThat(a.status()).as(path).isLessThan(500);
      }
    }
    assertThat(w.s.get(eddie, api("acme", "experiments/get-by-name?experiment_name=cors-exp")).status()).isEqualTo(404);
  }

  /** Every JSON-body route refuses text/plain and form posts with 415, even for a caller allowed to call it. */
  @ParameterizedTest
  @MethodSource("kinds")
  void textPlainAndFormPostsGet415OnEveryBodyTakingRoute(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (Route r : w.s.atrium().routes()) {
      String m = r.method().name();
      if (!(m.equals("POST") || m.equals("PUT") || m.equals("PATCH")) || r.handler() instanceof Route.RawBody) {
        continue;
      }
      Recipes.Recipe recipe = Recipes.ALL.get(r.id());
      if (recipe == null) {
        continue;
      }
      Map<String, String> values = new java.util.HashMap<>(w.acme.placeholders());
      values.put("FRESH", w.fresh("csrf"));
      // Ids only a fresh target has (an open multipart upload): any value will do, the body is refused first.
      values.putIfAbsent("UPLOAD", "no-such-upload");
      values.putIfAbsent("ETAG", "no-such-etag");
      Requests.Req req = Requests.forRoute(r, recipe, values).get(0);
      String json = req.body() == null ? "{}" : req.body();
      for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
        Call c = Call.of(w.s, m, req.path()).bearer(w.admin()).raw(json.getBytes(StandardCharsets.UTF_8), type);
        if (req.workspace() != null) {
          c.header("X-MLFLOW-WORKSPACE", req.workspace());
        }
        Requests.SENT.incrementAndGet();
        TestServer.Response resp = c.send();
        checked++;
        if (resp.status() != 415) {
          problems.add(r.id() + " with " + type + ": " + resp.status() + " " + resp.body());
        }
      }
      w.resetTenantStates();
    }
    assertThat(checked).isGreaterThan(100);
    assertThat(problems).as("body-taking routes that accept a CSRF-shaped post").isEmpty();
  }
}
