package io.atrium.http;

import static io.atrium.isolation.support.ErrorBodies.assertClean;
import static io.atrium.isolation.support.ErrorBodies.assertError;
import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.ServerPool;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile and broken input on the tracking API: each is refused with MLflow's JSON error shape and a
 * 4xx, never a stack trace or SQL, and never leaves anything half-written.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputIT {
  private static final String MISSING = "Missing value for required parameter '%s'. See the API docs for more "
      + "information about request parameters.";

  record Fixture(TestServer s, String token, String experimentId, String runId) {}

  private final ServerPool<Fixture> pool =
      new ServerPool<>(
          s -> {
            s.createTenant("acme");
            String alice = s.createUser("alice", "acme", "editor");
            String exp = Tracking.createExperiment(s, alice, "acme", "churn");
            String run = Tracking.createRun(s, alice, "acme", exp, "xgb-baseline");
            Tracking.logTraining(s, alice, "acme", run, 5, 200);
            return new Fixture(s, alice, exp, run);
          });

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  private static TestServer.Response post(Fixture f, String route, byte[] body, String contentType) {
    return Call.post(f.s(), api("acme", route)).bearer(f.token()).raw(body, contentType).send();
  }

  private static TestServer.Response post(Fixture f, String route, String body) {
    return post(f, route, body.getBytes(StandardCharsets.UTF_8), "application/json");
  }

  /** Experiments and the run's data as they stand; compared before and after each barrage. */
  private static JsonNode state(Fixture f) {
    Map<String, JsonNode> m = new LinkedHashMap<>();
    m.put("experiments", f.s().post(f.token(), api("acme", "experiments/search"), Map.of("view_type", "ALL")).json());
    m.put("run", f.s().get(f.token(), api("acme", "runs/get?run_id=" + f.runId())).json());
    m.put("runs", f.s().post(f.token(), api("acme", "runs/search"),
        Map.of("experiment_ids", List.of("0", f.experimentId()), "run_view_type", "ALL")).json());
    return io.atrium.http.Json.MAPPER.valueToTree(m);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void malformedAndMistypedBodiesAreRefusedWithJson(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    JsonNode before = state(f);
    String run = f.runId();
    Map<String, String[]> cases = new LinkedHashMap<>();
    cases.put("truncated JSON", new String[] {"experiments/create", "{\"name\": \"churn-v2\""});
    cases.put("not JSON", new String[] {"experiments/create", "name=churn-v2"});
    cases.put("array body", new String[] {"experiments/create", "[{\"name\": \"churn-v2\"}]"});
    cases.put("string body", new String[] {"experiments/create", "\"churn-v2\""});
    cases.put("number body", new String[] {"experiments/create", "42"});
    cases.put("null body", new String[] {"experiments/create", "null"});
    cases.put("object for string", new String[] {"experiments/create", "{\"name\": {\"first\": \"churn\"}}"});
    cases.put("array for string", new String[] {"experiments/create", "{\"name\": [\"churn\", \"v2\"]}"});
    cases.put("string for list of objects", new String[] {"experiments/create",
        "{\"name\": \"churn-v2\", \"tags\": \"team=acme\"}"});
    cases.put("duplicate keys", new String[] {"experiments/create", "{\"name\": \"churn-v2\", \"name\": \"churn-v3\"}"});
    cases.put("duplicate nested keys", new String[] {"runs/log-batch",
        "{\"run_id\": \"" + run + "\", \"params\": [{\"key\": \"a\", \"key\": \"b\", \"value\": \"1\"}]}"});
    cases.put("nesting depth 1000", new String[] {"experiments/create",
        "{\"name\": \"deep\", \"tags\": " + "[".repeat(1000) + "]".repeat(1000) + "}"});
    cases.put("object nesting depth 1000", new String[] {"experiments/create",
        "{\"name\": \"deep\", \"x\": " + "{\"a\":".repeat(1000) + "1" + "}".repeat(1000) + "}"});
    cases.put("string for metrics list", new String[] {"runs/log-batch",
        "{\"run_id\": \"" + run + "\", \"metrics\": \"val_auc=0.9\"}"});
    cases.put("string for metric value", new String[] {"runs/log-metric",
        "{\"run_id\": \"" + run + "\", \"key\": \"val_auc\", \"value\": \"high\", \"timestamp\": 1, \"step\": 1}"});
    cases.put("object for metric value", new String[] {"runs/log-metric",
        "{\"run_id\": \"" + run + "\", \"key\": \"val_auc\", \"value\": {}, \"timestamp\": 1}"});
    cases.put("text for timestamp", new String[] {"runs/log-metric",
        "{\"run_id\": \"" + run + "\", \"key\": \"val_auc\", \"value\": 0.9, \"timestamp\": \"yesterday\"}"});
    cases.put("fraction for step", new String[] {"runs/log-batch", "{\"run_id\": \"" + run
        + "\", \"metrics\": [{\"key\": \"val_auc\", \"value\": 0.9, \"timestamp\": 1, \"step\": \"one\"}]}"});
    cases.put("huge number", new String[] {"runs/log-metric", "{\"run_id\": \"" + run
        + "\", \"key\": \"val_auc\", \"value\": 0.9, \"timestamp\": 1" + "0".repeat(500) + "}"});
    cases.put("object for experiment ids", new String[] {"runs/search", "{\"experiment_ids\": {\"id\": \"1\"}}"});
    cases.put("non-numeric experiment id", new String[] {"runs/search", "{\"experiment_ids\": [\"1 OR 1=1\"]}"});
    cases.put("bad view type", new String[] {"runs/search",
        "{\"experiment_ids\": [\"1\"], \"run_view_type\": \"EVERYTHING'; --\"}"});
    cases.put("negative max_results", new String[] {"runs/search", "{\"experiment_ids\": [\"1\"], \"max_results\": -1}"});
    cases.put("huge max_results", new String[] {"runs/search",
        "{\"experiment_ids\": [\"1\"], \"max_results\": 99999999999}"});
    cases.put("garbage page token", new String[] {"runs/search",
        "{\"experiment_ids\": [\"1\"], \"page_token\": \"' OR 1=1 --\"}"});
    cases.put("bad run status", new String[] {"runs/update", "{\"run_id\": \"" + run + "\", \"status\": \"HACKED\"}"});
    cases.put("run id with SQL", new String[] {"runs/log-batch", "{\"run_id\": \"x' OR '1'='1\", \"metrics\": []}"});
    Map<String, String> answers = new LinkedHashMap<>();
    for (var c : cases.entrySet()) {
      TestServer.Response r = post(f, c.getValue()[0], c.getValue()[1]);
      answers.put(c.getKey(), r.status() + " " + r.body());
      assertClean(r);
      assertThat(r.status()).as(c.getKey() + ": " + r.body()).isEqualTo(400);
    }
    assertThat(state(f)).as("nothing was written").isEqualTo(before);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void invalidUtf8IsRefused(TestDatabases.Kind kind) throws Exception {
    Fixture f = pool.get(kind);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write("{\"name\": \"churn-".getBytes(StandardCharsets.US_ASCII));
    b.write(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE, (byte) 0xED, (byte) 0xA0, (byte) 0x80});
    b.write("\"}".getBytes(StandardCharsets.US_ASCII));
    TestServer.Response r = post(f, "experiments/create", b.toByteArray(), "application/json");
    assertError(r, 400, r.json().path("error_code").asText());
    assertThat(r.json().path("error_code").asText()).isIn("BAD_REQUEST", "INVALID_PARAMETER_VALUE");
    assertThat(f.s().post(f.token(), api("acme", "experiments/search"), Map.of("filter", "name LIKE 'churn-%'"))
        .json().path("experiments").size()).isZero();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void missingRequiredFieldsUseMlflowsMessage(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    String run = f.runId();
    Map<String, String[]> cases = new LinkedHashMap<>();
    cases.put("name", new String[] {"POST", "experiments/create", "{}"});
    cases.put("name ", new String[] {"POST", "experiments/create", "{\"name\": \"\"}"});
    cases.put("experiment_id", new String[] {"POST", "experiments/delete", "{}"});
    cases.put("new_name", new String[] {"POST", "experiments/update", "{\"experiment_id\": \"" + f.experimentId() + "\"}"});
    cases.put("run_id", new String[] {"POST", "runs/log-parameter", "{\"key\": \"max_depth\", \"value\": \"6\"}"});
    cases.put("key", new String[] {"POST", "runs/log-parameter", "{\"run_id\": \"" + run + "\", \"value\": \"6\"}"});
    cases.put("key  ", new String[] {"POST", "runs/set-tag", "{\"run_id\": \"" + run + "\", \"value\": \"x\"}"});
    cases.put("value", new String[] {"POST", "runs/log-metric",
        "{\"run_id\": \"" + run + "\", \"key\": \"val_auc\", \"timestamp\": 1}"});
    cases.put("timestamp", new String[] {"POST", "runs/log-metric",
        "{\"run_id\": \"" + run + "\", \"key\": \"val_auc\", \"value\": 0.5}"});
    cases.put("metrics[1].timestamp", new String[] {"POST", "runs/log-batch", "{\"run_id\": \"" + run
        + "\", \"metrics\": [{\"key\": \"a\", \"value\": 1, \"timestamp\": 1}, {\"key\": \"b\", \"value\": 2}]}"});
    cases.put("params[0].key", new String[] {"POST", "runs/log-batch",
        "{\"run_id\": \"" + run + "\", \"params\": [{\"value\": \"1\"}]}"});
    cases.put("run_id   ", new String[] {"GET", "runs/get", null});
    cases.put("metric_key", new String[] {"GET", "metrics/get-history?run_id=" + run, null});
    cases.put("experiment_name", new String[] {"GET", "experiments/get-by-name", null});
    cases.put("run_ids", new String[] {"GET", "metrics/get-history-bulk-interval?metric_key=val_auc", null});
    for (var c : cases.entrySet()) {
      String[] v = c.getValue();
      TestServer.Response r = v[0].equals("GET") ? f.s().get(f.token(), api("acme", v[1])) : post(f, v[1], v[2]);
      String message = assertError(r, 400, "INVALID_PARAMETER_VALUE");
      assertThat(message).as(v[1] + " " + v[2]).isEqualTo(MISSING.formatted(c.getKey().trim()));
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void oversizedBodiesAreRefusedWithJsonAndTheServerCarriesOn(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    byte[] big = ("{\"name\": \"" + "x".repeat(20 << 20) + "\"}").getBytes(StandardCharsets.US_ASCII);
    for (boolean chunked : List.of(false, true)) {
      Call c = Call.post(f.s(), api("acme", "experiments/create")).bearer(f.token());
      TestServer.Response r = (chunked ? c.chunked(big, "application/json") : c.raw(big, "application/json")).send();
      assertClean(r);
      assertThat(r.status()).as("chunked=" + chunked + ": " + r.body()).isIn(400, 413);
      // Unauthenticated, the size is refused before anything else.
      TestServer.Response anon = Call.post(f.s(), api("acme", "experiments/create")).raw(big, "application/json").send();
      assertThat(anon.status()).isIn(400, 401, 413);
      assertClean(anon);
    }
    assertThat(f.s().get(f.token(), api("acme", "experiments/get?experiment_id=" + f.experimentId())).status())
        .isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void nonJsonContentTypesGet415(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    JsonNode before = state(f);
    String json = "{\"name\": \"csrf-experiment\"}";
    for (String type : List.of("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz", "application/xml", "application/jsonp")) {
      TestServer.Response r = post(f, "experiments/create", json.getBytes(StandardCharsets.UTF_8), type);
      assertError(r, 415, "BAD_REQUEST");
    }
    TestServer.Response form = post(f, "experiments/create",
        "name=csrf-experiment".getBytes(StandardCharsets.UTF_8), "application/x-www-form-urlencoded");
    assertError(form, 415, "BAD_REQUEST");
    TestServer.Response none = post(f, "experiments/create", json.getBytes(StandardCharsets.UTF_8), null);
    assertClean(none);
    assertThat(none.status()).isIn(400, 415);
    assertThat(state(f)).isEqualTo(before);
    // JSON with a charset parameter is fine.
    assertThat(post(f, "experiments/create", "{\"name\": \"charset-ok\"}".getBytes(StandardCharsets.UTF_8),
        "application/json; charset=utf-8").status()).isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void sqlInFiltersAndOrderByIsRefusedOrInertAndTablesSurvive(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    JsonNode before = state(f);
    List<String> filters = List.of(
        "params.x = '1'; DROP TABLE runs; --",
        "' OR 1=1 --",
        "params.learning_rate = '1' OR '1'='1'",
        "params.learning_rate = '' OR 1=1 --'",
        "metrics.val_auc > 0 UNION SELECT * FROM api_tokens",
        "attributes.run_id = 'x'); DELETE FROM metrics; --",
        "tags.`stage'; DROP TABLE tags; --` = 'x'",
        "params.\"x\\\" OR 1=1\" = 'y'",
        "metrics.val_auc > 0 AND (SELECT COUNT(*) FROM principals) > 0",
        "attributes.status = 'RUNNING' /* comment */",
        "metrics.`val_auc` > 1e999999",
        "params.max_depth LIKE '%' ESCAPE '\\'");
    for (String filter : filters) {
      TestServer.Response r = f.s().post(f.token(), api("acme", "runs/search"),
          Map.of("experiment_ids", List.of(f.experimentId()), "filter", filter));
      assertThat(r.status()).as(filter + ": " + r.body()).isIn(200, 400);
      if (r.status() == 400) {
        assertError(r, 400, "INVALID_PARAMETER_VALUE");
      } else {
        assertThat(r.json().path("runs").size()).as(filter).isLessThanOrEqualTo(1);
      }
      TestServer.Response e = f.s().post(f.token(), api("acme", "experiments/search"), Map.of("filter", filter));
      assertThat(e.status()).as(filter + ": " + e.body()).isIn(200, 400);
      if (e.status() == 400) {
        assertClean(e);
      }
    }
    for (String orderBy : List.of("start_time; DROP TABLE runs", "metrics.val_auc DESC, (SELECT 1)",
        "params.max_depth ASC; --", "attributes.start_time DESC NULLS FIRST; DELETE FROM runs",
        "(CASE WHEN 1=1 THEN start_time END)", "start_time DESCC")) {
      TestServer.Response r = f.s().post(f.token(), api("acme", "runs/search"),
          Map.of("experiment_ids", List.of(f.experimentId()), "order_by", List.of(orderBy)));
      assertThat(r.status()).as("runs ordered by " + orderBy).isEqualTo(400);
      assertError(r, 400, "INVALID_PARAMETER_VALUE");
      TestServer.Response e = f.s().post(f.token(), api("acme", "experiments/search"),
          Map.of("order_by", List.of(orderBy)));
      assertThat(e.status()).as("experiments ordered by " + orderBy).isEqualTo(400);
      assertError(e, 400, "INVALID_PARAMETER_VALUE");
    }
    assertThat(state(f)).as("every table is intact").isEqualTo(before);
    // SQL as data is stored and returned verbatim.
    String evil = "'; DROP TABLE runs; --";
    String run = Tracking.createRun(f.s(), f.token(), "acme", f.experimentId(), "robert-tables");
    TestServer.expectOk(f.s().post(f.token(), api("acme", "runs/log-parameter"),
        Map.of("run_id", run, "key", "note", "value", evil)));
    TestServer.Response found = f.s().post(f.token(), api("acme", "runs/search"), Map.of("experiment_ids",
        List.of(f.experimentId()), "filter", "params.note = '''; DROP TABLE runs; --'"));
    assertThat(found.status()).as(found.body()).isIn(200, 400);
    JsonNode got = f.s().get(f.token(), api("acme", "runs/get?run_id=" + run)).json();
    assertThat(got.path("run").path("data").path("params").toString()).contains("DROP TABLE runs; --");
    TestServer.expectOk(f.s().post(f.token(), api("acme", "runs/delete"), Map.of("run_id", run)));
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void keysLongerThan250AreRefused(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    String run = Tracking.createRun(f.s(), f.token(), "acme", f.experimentId(), "long-keys");
    String k250 = "feature_importance/" + "x".repeat(250 - 19);
    String k251 = k250 + "y";
    assertThat(k250).hasSize(250);
    TestServer s = f.s();
    String t = f.token();
    assertThat(s.post(t, api("acme", "runs/log-parameter"), Map.of("run_id", run, "key", k250, "value", "1")).status())
        .isEqualTo(200);
    for (var req : List.of(
        Map.entry("runs/log-parameter", Map.<String, Object>of("run_id", run, "key", k251, "value", "1")),
        Map.entry("runs/set-tag", Map.<String, Object>of("run_id", run, "key", k251, "value", "1")),
        Map.entry("runs/log-metric", Map.<String, Object>of("run_id", run, "key", k251, "value", 1.0,
            "timestamp", 1L, "step", 0)),
        Map.entry("runs/log-batch", Map.<String, Object>of("run_id", run, "metrics",
            List.of(Tracking.metric(k251, 1.0, 0)))),
        Map.entry("runs/log-batch", Map.<String, Object>of("run_id", run, "params",
            List.of(Map.of("key", k251, "value", "1")))),
        Map.entry("experiments/set-experiment-tag", Map.<String, Object>of("experiment_id", f.experimentId(),
            "key", k251, "value", "1")))) {
      TestServer.Response r = s.post(t, api("acme", req.getKey()), req.getValue());
      String msg = assertError(r, 400, "INVALID_PARAMETER_VALUE");
      assertThat(msg).as(req.getKey()).contains("exceeds the maximum length of 250 characters")
          .doesNotContain(k251);
    }
    JsonNode data = s.get(t, api("acme", "runs/get?run_id=" + run)).json().path("run").path("data");
    assertThat(data.path("params").findValuesAsText("key")).containsExactly(k250);
    assertThat(data.path("metrics").size()).isZero();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void nanAndInfinityMetricValuesAreAccepted(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    String run = Tracking.createRun(f.s(), f.token(), "acme", f.experimentId(), "diverged");
    String base = "{\"run_id\": \"" + run + "\", \"key\": \"train_loss\", \"timestamp\": 1718000000000, ";
    List<String> values = List.of("\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "NaN", "0.25");
    for (int i = 0; i < values.size(); i++) {
      TestServer.Response r = post(f, "runs/log-metric", base + "\"value\": " + values.get(i) + ", \"step\": " + i + "}");
      assertThat(r.status()).as(values.get(i) + ": " + r.body()).isEqualTo(200);
    }
    TestServer.expectOk(post(f, "runs/log-batch", "{\"run_id\": \"" + run + "\", \"metrics\": ["
        + "{\"key\": \"grad_norm\", \"value\": \"NaN\", \"timestamp\": 1, \"step\": 0},"
        + "{\"key\": \"grad_norm\", \"value\": \"Infinity\", \"timestamp\": 2, \"step\": 1}]}"));
    JsonNode history = f.s().get(f.token(), api("acme", "metrics/get-history?run_id=" + run + "&metric_key=train_loss"))
        .json().path("metrics");
    List<String> got = new ArrayList<>();
    history.forEach(m -> got.add(m.path("value").asText()));
    assertThat(got).hasSize(5);
    assertThat(got.get(0)).isEqualTo("NaN");
    assertThat(got.get(1)).isIn("Infinity", "1.7976931348623157E308");
    assertThat(got.get(2)).isIn("-Infinity", "-1.7976931348623157E308");
    assertThat(got.get(3)).isEqualTo("NaN");
    assertThat(got.get(4)).isEqualTo("0.25");
    assertThat(f.s().get(f.token(), api("acme", "metrics/get-history?run_id=" + run + "&metric_key=grad_norm"))
        .json().path("metrics").size()).isEqualTo(2);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aBatchWithOneBadEntryStoresNothing(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String run = Tracking.createRun(s, f.token(), "acme", f.experimentId(), "atomic-batch");
    TestServer.expectOk(s.post(f.token(), api("acme", "runs/log-parameter"),
        Map.of("run_id", run, "key", "max_depth", "value", "6")));
    JsonNode before = s.get(f.token(), api("acme", "runs/get?run_id=" + run)).json();

    // 999 valid metrics, then one the request validation refuses (a key escaping upwards).
    List<Map<String, Object>> metrics = new ArrayList<>();
    for (int i = 0; i < 999; i++) {
      metrics.add(Tracking.metric("val_loss", 0.7 * Math.exp(-i / 300.0), i));
    }
    List<Map<String, Object>> badKey = new ArrayList<>(metrics);
    badKey.add(Tracking.metric("../../escape", 1.0, 999));
    assertError(s.post(f.token(), api("acme", "runs/log-batch"), Map.of("run_id", run, "metrics", badKey)), 400,
        "INVALID_PARAMETER_VALUE");
    // ... one without a timestamp,
    List<Map<String, Object>> noTimestamp = new ArrayList<>(metrics);
    noTimestamp.add(Map.of("key", "val_loss", "value", 0.1, "step", 999));
    assertError(s.post(f.token(), api("acme", "runs/log-batch"), Map.of("run_id", run, "metrics", noTimestamp)), 400,
        "INVALID_PARAMETER_VALUE");
    // ... and one the store refuses: a param that changes an already logged value, after 900 metrics.
    TestServer.Response conflict = s.post(f.token(), api("acme", "runs/log-batch"), Map.of("run_id", run,
        "metrics", metrics.subList(0, 900),
        "params", List.of(Map.of("key", "n_estimators", "value", "400"), Map.of("key", "max_depth", "value", "8")),
        "tags", List.of(Map.of("key", "stage", "value", "candidate"))));
    assertError(conflict, 400, "INVALID_PARAMETER_VALUE");

    JsonNode history = s.get(f.token(), api("acme", "metrics/get-history?run_id=" + run + "&metric_key=val_loss"))
        .json();
    assertThat(history.path("metrics").size()).as("no metric of the refused batches").isZero();
    assertThat(s.get(f.token(), api("acme", "runs/get?run_id=" + run)).json()).isEqualTo(before);
    // The same 999 alone are fine.
    TestServer.expectOk(s.post(f.token(), api("acme", "runs/log-batch"), Map.of("run_id", run, "metrics", metrics)));
    assertThat(s.get(f.token(), api("acme", "metrics/get-history?run_id=" + run + "&metric_key=val_loss"))
        .json().path("metrics").size()).isEqualTo(999);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void unknownRoutesAndMethodsAreJson404s(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    for (String token : new String[] {f.token(), null}) {
      for (String[] req : List.of(
          new String[] {"GET", "/api/2.0/mlflow/experiments/nope"},
          new String[] {"POST", "/api/2.0/mlflow/runs/log-everything"},
          new String[] {"GET", "/t/acme/api/2.0/mlflow/runs/nope"},
          new String[] {"GET", "/ajax-api/2.0/mlflow/unknown"},
          new String[] {"GET", "/api/2.0/mlflow/runs/create"},
          new String[] {"DELETE", "/api/2.0/mlflow/experiments/get"},
          new String[] {"PUT", "/t/acme/api/2.0/mlflow/experiments/create"},
          new String[] {"GET", "/api/2.0/mlflow/experiments/get/extra"},
          new String[] {"GET", "/api/9.9/mlflow/experiments/get"},
          new String[] {"GET", "/t/acme"},
          new String[] {"GET", "/" + "deep/".repeat(200)},
          new String[] {"GET", "/wp-admin/install.php"},
          new String[] {"GET", "/api/atrium/v1/nothing-here"})) {
        TestServer.Response r = s.send(token, req[0], req[1], req[0].equals("GET") ? null : "{}",
            req[0].equals("GET") ? null : "application/json");
        String msg = assertError(r, 404, "ENDPOINT_NOT_FOUND");
        assertThat(msg).as(req[1]).startsWith("No API endpoint " + req[0]);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void badQueryParametersOnGetsAre400s(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    String run = f.runId();
    for (String q : List.of(
        "experiments/get?experiment_id=abc",
        "experiments/get?experiment_id=1%27%20OR%20%271%27%3D%271",
        "experiments/get?experiment_id=99999999999999999999999",
        "metrics/get-history?run_id=" + run + "&metric_key=val_auc&max_results=abc",
        "metrics/get-history?run_id=" + run + "&metric_key=val_auc&max_results=-5",
        "metrics/get-history?run_id=" + run + "&metric_key=val_auc&page_token=%27%3B%20DROP",
        "metrics/get-history-bulk-interval?run_ids=" + run + "&metric_key=val_auc&start_step=10",
        "metrics/get-history-bulk-interval?run_ids=" + run + "&metric_key=val_auc&start_step=x&end_step=y",
        "experiments/search?max_results=0",
        "experiments/search?view_type=SIDEWAYS")) {
      TestServer.Response r = f.s().get(f.token(), api("acme", q));
      assertError(r, 400, "INVALID_PARAMETER_VALUE");
    }
    StringBuilder many = new StringBuilder("metrics/get-history-bulk-interval?metric_key=val_auc");
    for (int i = 0; i < 101; i++) {
      many.append("&run_ids=").append(run);
    }
    assertError(f.s().get(f.token(), api("acme", many.toString())), 400, "INVALID_PARAMETER_VALUE");
  }
}
