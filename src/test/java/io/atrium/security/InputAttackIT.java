package io.atrium.security;

import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.http.Route;
import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.ErrorBodies;
import io.atrium.isolation.support.ServerPool;
import io.atrium.security.World.Caller;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input beyond what {@code http.BadInputIT} sends to the tracking routes: SQL in the registry's
 * and logged models' filters, order_by and names; JSON bombs and overlong keys and values on the
 * registry and admin API; invalid UTF-8 on every JSON-body route. Each is refused with a clean 4xx
 * (or, for a harmless literal, stored exactly), never a 5xx, and acme's data survives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InputAttackIT {
  private static final List<String> SQL = List.of(
      "name = 'x'; DROP TABLE registered_models; --", "' OR 1=1 --", "name = '' OR '1'='1'",
      "name LIKE '%' UNION SELECT secret_hash FROM api_tokens --", "name = 'a' /* comment */ OR 1=1",
      "name = 'a' -- comment", "tags.`x'; DELETE FROM model_versions; --` = 'y'", "name = \"a\\\" OR 1=1\"",
      "name ILIKE '%' AND (SELECT COUNT(*) FROM principals) > 0", "name = 'a'#", "name = 'a'\u0000'",
      "run_id = 'x') OR (1=1", "version_number > 0; SELECT pg_sleep(5)", "name = $$a$$", "name = E'\\x27'");
  private static final List<String> ORDER_BY = List.of(
      "name; DROP TABLE registered_models", "name ASC, (SELECT 1)", "last_updated_timestamp DESC; --",
      "(CASE WHEN 1=1 THEN name END)", "name DESCC", "name /* x */ ASC", "name -- x", "1", "version_number ASC;",
      "creation_timestamp DESC NULLS FIRST; DELETE FROM model_versions");

  private final ServerPool<World> pool = new ServerPool<>(World::build);

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** acme's registry and logged models as they stand. */
  private static String state(World w) {
    String t = w.admin();
    return w.s.get(t, api("acme", "registered-models/search?max_results=1000")).body()
        + w.s.get(t, api("acme", "model-versions/search?max_results=1000")).body()
        + w.s.post(t, api("acme", "logged-models/search"), Map.of("experiment_ids", List.of(w.acme.experiment()))).body();
  }

  private static void refusedOrInert(String what, TestServer.Response r, List<String> problems) {
    Requests.SENT.incrementAndGet();
    if (r.status() >= 500 || (r.status() != 200 && r.status() != 400)) {
      problems.add(what + ": " + r.status() + " " + r.body());
    } else if (r.status() == 400) {
      ErrorBodies.assertClean(r);
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void sqlInRegistryAndLoggedModelSearchesIsRefusedOrInert(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String eddie = w.tokens.get(Caller.EDITOR);
    String before = state(w);
    List<String> problems = new ArrayList<>();
    for (String f : SQL) {
      for (String route : List.of("registered-models/search", "model-versions/search")) {
        TestServer.Response r = w.s.get(eddie, api("acme", route + "?filter=" + q(f)));
        refusedOrInert(route + " filter " + f, r, problems);
        if (r.status() == 200) {
          assertThat(r.body()).as(f).doesNotContain(w.globex.model());
          JsonNode items = r.json().path(route.startsWith("registered") ? "registered_models" : "model_versions");
          assertThat(items.size()).as("an injected filter must not widen the result: " + f).isLessThanOrEqualTo(0);
        }
      }
      refusedOrInert("logged-models/search filter " + f, w.s.post(eddie, api("acme", "logged-models/search"),
          Map.of("experiment_ids", List.of(w.acme.experiment()), "filter", f)), problems);
    }
    for (String o : ORDER_BY) {
      for (String route : List.of("registered-models/search", "model-versions/search")) {
        TestServer.Response r = w.s.get(eddie, api("acme", route + "?order_by=" + q(o)));
        if (r.status() != 400) {
          problems.add(route + " order_by " + o + ": " + r.status() + " " + r.body());
        } else {
          ErrorBodies.assertClean(r);
        }
      }
      TestServer.Response lm = w.s.post(eddie, api("acme", "logged-models/search"), Map.of("experiment_ids",
          List.of(w.acme.experiment()), "order_by", List.of(Map.of("field_name", o))));
      refusedOrInert("logged-models/search order_by " + o, lm, problems);
    }
    // Page tokens are opaque: forged ones are refused, never interpreted as SQL.
    for (String token : List.of("' OR 1=1 --", "eyJvZmZzZXQiOiAtMX0=", "eyJvZmZzZXQiOiAiMTsgRFJPUCJ9", "%00")) {
      for (String route : List.of("registered-models/search", "model-versions/search")) {
        refusedOrInert(route + " page_token " + token, w.s.get(eddie, api("acme", route + "?page_token=" + q(token))),
            problems);
      }
    }
    assertThat(problems).isEmpty();
    assertThat(state(w)).isEqualTo(before);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void sqlMetacharactersInNamesAreStoredLiterallyOrRefused(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String eddie = w.tokens.get(Caller.EDITOR);
    List<String> problems = new ArrayList<>();
    for (String name : List.of("x'; DROP TABLE registered_models; --", "model\" OR \"1\"=\"1", "m -- comment",
        "m /* c */", "m%", "m_", "m\\", "m;", "m' UNION SELECT 1 --", "Robert'); DROP TABLE students;--")) {
      TestServer.Response r = w.s.post(eddie, api("acme", "registered-models/create"), Map.of("name", name));
      refusedOrInert("registered-models/create " + name, r, problems);
      if (r.status() == 200) {
        TestServer.Response got = w.s.get(eddie, api("acme", "registered-models/get?name=" + q(name)));
        assertThat(got.json().path("registered_model").path("name").asText()).isEqualTo(name);
        // LIKE wildcards in a stored name must not match other models in an exact-name lookup.
        TestServer.Response exact = w.s.get(eddie, api("acme", "registered-models/search?filter=" + q("name = '"
            + name.replace("'", "''") + "'")));
        if (exact.status() == 200) {
          assertThat(exact.json().path("registered_models").size()).as(name).isLessThanOrEqualTo(1);
        }
      }
      for (String[] c : List.of(
          new String[] {"/api/atrium/v1/tenants", "{\"name\":" + Raw2.json(name) + "}"},
          new String[] {"/api/atrium/v1/users", "{\"name\":" + Raw2.json(name) + ",\"tenant\":\"acme\",\"role\":\"viewer\"}"},
          new String[] {"/api/atrium/v1/tenants/acme/service-accounts", "{\"name\":" + Raw2.json(name) + "}"})) {
        TestServer.Response r2 = w.s.post(w.admin(), c[0], c[1]);
        refusedOrInert(c[0] + " " + name, r2, problems);
      }
    }
    assertThat(problems).isEmpty();
    assertThat(w.s.get(eddie, api("acme", "registered-models/get?name=" + q(w.acme.model()))).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void jsonBombsOnRegistryAndAdminRoutesAreRefusedQuickly(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String before = state(w);
    Map<String, String[]> cases = new LinkedHashMap<>();
    String million = "[" + "0,".repeat(999_999) + "0]";
    String millionObjects = "[" + "{},".repeat(999_999) + "{}]";
    cases.put("deep arrays", new String[] {api("acme", "registered-models/create"),
        "{\"name\":\"deep\",\"tags\":" + "[".repeat(5000) + "]".repeat(5000) + "}"});
    cases.put("deep objects", new String[] {"/api/atrium/v1/users",
        "{\"name\":\"deep\",\"x\":" + "{\"a\":".repeat(5000) + "1" + "}".repeat(5000) + "}"});
    cases.put("1e6 numbers as tags", new String[] {api("acme", "registered-models/create"),
        "{\"name\":\"wide\",\"tags\":" + million + "}"});
    cases.put("1e6 objects as tags", new String[] {api("acme", "model-versions/create"),
        "{\"name\":\"" + w.acme.model() + "\",\"source\":\"runs:/" + w.acme.run() + "/m\",\"tags\":" + millionObjects + "}"});
    cases.put("1e6 objects as metrics", new String[] {api("acme", "runs/log-batch"),
        "{\"run_id\":\"" + w.acme.run() + "\",\"metrics\":" + millionObjects + "}"});
    cases.put("1e6 versions in a share", new String[] {"/api/atrium/v1/tenants/acme/shares",
        "{\"model\":\"" + w.acme.model() + "\",\"to_tenant\":\"globex\",\"versions\":" + million + "}"});
    cases.put("1e6 params of a logged model", new String[] {api("acme", "logged-models/" + w.acme.loggedModel() + "/params"),
        "{\"params\":" + millionObjects + "}"});
    cases.put("10 MB name", new String[] {api("acme", "registered-models/create"),
        "{\"name\":\"" + "n".repeat(10 << 20) + "\"}"});
    cases.put("10 MB description", new String[] {api("acme", "registered-models/create"),
        "{\"name\":\"big-description\",\"description\":\"" + "d".repeat(10 << 20) + "\"}"});
    cases.put("10 MB tenant name", new String[] {"/api/atrium/v1/tenants", "{\"name\":\"" + "t".repeat(10 << 20) + "\"}"});
    cases.put("duplicate keys, registry", new String[] {api("acme", "registered-models/create"),
        "{\"name\":\"dup-a\",\"name\":\"dup-b\"}"});
    cases.put("duplicate keys, alias", new String[] {api("acme", "registered-models/alias"),
        "{\"name\":\"" + w.acme.model() + "\",\"alias\":\"a\",\"version\":\"1\",\"version\":\"2\"}"});
    cases.put("duplicate keys, admin", new String[] {"/api/atrium/v1/users",
        "{\"name\":\"dupuser\",\"tenant\":\"acme\",\"role\":\"viewer\",\"role\":\"owner\"}"});
    cases.put("duplicate keys, share", new String[] {"/api/atrium/v1/tenants/acme/shares",
        "{\"model\":\"" + w.acme.model() + "\",\"to_tenant\":\"globex\",\"to_tenant\":\"initech\"}"});
    cases.put("duplicate nested keys", new String[] {api("acme", "model-versions/create"), "{\"name\":\"" + w.acme.model()
        + "\",\"source\":\"runs:/" + w.acme.run() + "/m\",\"tags\":[{\"key\":\"a\",\"key\":\"b\",\"value\":\"v\"}]}"});
    List<String> problems = new ArrayList<>();
    for (var c : cases.entrySet()) {
      long t0 = System.nanoTime();
      TestServer.Response r = Call.post(w.s, c.getValue()[0]).bearer(w.admin()).json(c.getValue()[1]).send();
      Requests.SENT.incrementAndGet();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf("json bomb %s: %d in %d ms%n", c.getKey(), r.status(), ms);
      if (r.status() != 400 && r.status() != 404 && r.status() != 413) {
        problems.add(c.getKey() + ": " + r.status() + " " + r.body().substring(0, Math.min(300, r.body().length())));
      } else {
        ErrorBodies.assertClean(r);
      }
      if (ms > 15_000) {
        problems.add(c.getKey() + ": took " + ms + " ms");
      }
    }
    assertThat(problems).isEmpty();
    assertThat(state(w)).isEqualTo(before);
    assertThat(w.s.get(null, "/health").status()).isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void overlongKeysAndValuesOnRegistryRoutesAreRefusedOrKeptWhole(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String eddie = w.tokens.get(Caller.EDITOR);
    String model = w.acme.model();
    List<String> problems = new ArrayList<>();
    for (int n : List.of(251, 1_000, 5_001, 100_000, 1_000_000)) {
      String big = "k".repeat(n);
      List<String[]> calls = List.of(
          new String[] {"POST", "registered-models/create", "{\"name\":\"" + big + "\"}"},
          new String[] {"POST", "registered-models/set-tag", "{\"name\":\"" + model + "\",\"key\":\"" + big + "\",\"value\":\"v\"}"},
          new String[] {"POST", "registered-models/set-tag", "{\"name\":\"" + model + "\",\"key\":\"long\",\"value\":\"" + big + "\"}"},
          new String[] {"PATCH", "registered-models/update", "{\"name\":\"" + model + "\",\"description\":\"" + big + "\"}"},
          new String[] {"POST", "registered-models/alias", "{\"name\":\"" + model + "\",\"alias\":\"" + big + "\",\"version\":\"1\"}"},
          new String[] {"POST", "registered-models/rename", "{\"name\":\"" + model + "\",\"new_name\":\"" + big + "\"}"},
          new String[] {"POST", "model-versions/set-tag", "{\"name\":\"" + model + "\",\"version\":\"1\",\"key\":\"" + big + "\",\"value\":\"v\"}"},
          new String[] {"POST", "model-versions/set-tag", "{\"name\":\"" + model + "\",\"version\":\"1\",\"key\":\"long\",\"value\":\"" + big + "\"}"},
          new String[] {"PATCH", "model-versions/update", "{\"name\":\"" + model + "\",\"version\":\"1\",\"description\":\"" + big + "\"}"},
          new String[] {"POST", "model-versions/create", "{\"name\":\"" + model + "\",\"source\":\"runs:/" + w.acme.run() + "/" + big + "\"}"},
          new String[] {"POST", "logged-models", "{\"experiment_id\":\"" + w.acme.experiment() + "\",\"name\":\"" + big + "\"}"},
          new String[] {"PATCH", "logged-models/" + w.acme.loggedModel() + "/tags", "{\"tags\":[{\"key\":\"" + big + "\",\"value\":\"v\"}]}"},
          new String[] {"POST", "logged-models/" + w.acme.loggedModel() + "/params", "{\"params\":[{\"key\":\"p" + n + "\",\"value\":\"" + big + "\"}]}"});
      for (String[] c : calls) {
        TestServer.Response r = w.s.send(eddie, c[0], api("acme", c[1]), c[2], "application/json");
        Requests.SENT.incrementAndGet();
        String what = c[0] + " " + c[1] + " with a " + n + "-character field";
        if (r.status() >= 500 || (r.status() != 200 && r.status() != 400)) {
          problems.add(what + ": " + r.status() + " " + r.body().substring(0, Math.min(300, r.body().length())));
        } else if (r.status() == 400) {
          ErrorBodies.assertClean(r);
        } else if (c[1].equals("registered-models/rename")) {
          // Renamed: put it back for the next case.
          World.ok(w.s.post(eddie, api("acme", "registered-models/rename"), Map.of("name", big, "new_name", model)));
        }
      }
    }
    // Whatever was accepted is stored whole: no silent truncation.
    JsonNode m = World.ok(w.s.get(eddie, api("acme", "registered-models/get?name=" + q(model)))).path("registered_model");
    for (JsonNode tag : m.path("tags")) {
      assertThat(tag.path("key").asText().length() == 0).isFalse();
    }
    String description = m.path("description").asText();
    assertThat(description.length()).isIn(List.of("the acme model".length(), 251, 1_000, 5_001, 100_000, 1_000_000));
    assertThat(problems).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void invalidUtf8IsRefusedOnEveryJsonBodyRoute(TestDatabases.Kind kind) {
    World w = pool.get(kind);
    String before = state(w);
    List<String> problems = new ArrayList<>();
    int checked = 0;
    byte[][] bad = {
        {(byte) 0xC3, (byte) 0x28}, {(byte) 0xFF, (byte) 0xFE}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}};
    for (Route r : w.s.atrium().routes()) {
      String m = r.method().name();
      if (!(m.equals("POST") || m.equals("PUT") || m.equals("PATCH") || m.equals("DELETE")) || r.handler() instanceof Route.RawBody) {
        continue;
      }
      Recipes.Recipe recipe = Recipes.ALL.get(r.id());
      // Routes that take no body (tenant suspend and delete, revocations by id) ignore whatever is sent;
      // the registry's DELETEs take their fields from a JSON body when there is one.
      boolean takesBody = recipe != null && (recipe.body() != null && !recipe.body().equals("{}")
          || m.equals("DELETE") && recipe.query() != null);
      if (!takesBody) {
        continue;
      }
      Map<String, String> values = new HashMap<>(w.acme.placeholders());
      values.put("FRESH", w.fresh("utf"));
      // Ids only a fresh target has (an open multipart upload): any value will do, the body is refused first.
      values.putIfAbsent("UPLOAD", "no-such-upload");
      values.putIfAbsent("ETAG", "no-such-etag");
      Requests.Req req = Requests.forRoute(r, recipe, values).get(0);
      for (byte[] seq : bad) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("{\"name\":\"bad-".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(seq);
        b.writeBytes("\",\"key\":\"k\",\"value\":\"v".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(seq);
        b.writeBytes("\"}".getBytes(StandardCharsets.US_ASCII));
        Call c = Call.of(w.s, m, req.path()).bearer(w.admin()).raw(b.toByteArray(), "application/json");
        if (req.workspace() != null) {
          c.header("X-MLFLOW-WORKSPACE", req.workspace());
        }
        Requests.SENT.incrementAndGet();
        TestServer.Response resp;
        try {
          resp = c.send();
        } catch (RuntimeException e) {
          problems.add(r.id() + ": no answer: " + e);
          continue;
        }
        checked++;
        if (resp.status() != 400) {
          problems.add(r.id() + ": " + resp.status() + " " + resp.body());
        } else {
          ErrorBodies.assertClean(resp);
        }
      }
      w.resetTenantStates();
    }
    assertThat(checked).isGreaterThan(250);
    assertThat(problems).as("JSON-body routes that did not refuse invalid UTF-8 with 400").isEmpty();
    assertThat(state(w)).isEqualTo(before);
  }

  /** JSON string literal. */
  static final class Raw2 {
    static String json(String s) {
      try {
        return io.atrium.http.Json.MAPPER.writeValueAsString(s);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
}
