package io.atrium.isolation;

import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.http.Json;
import io.atrium.isolation.support.ErrorBodies;
import io.atrium.isolation.support.ServerPool;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Object-level isolation on every tracking route that takes an experiment id, a run id or an
 * experiment name: acme calling with globex's identifiers gets exactly the answer of an identifier
 * that never existed (same status, same body once the identifier itself is substituted), and globex's
 * data is unchanged afterwards.
 *
 * <p>Experiment ids are numbered per tenant (every tenant has its Default experiment "0"), so
 * "globex's experiment ids" are the ones acme has no experiment under: globex makes more experiments
 * than acme. Run ids are global UUIDs, so every globex run id is a foreign one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ObjectIsolationIT {
  private static final String PLACEHOLDER = "\u0000ID\u0000";
  private static final String NEVER_EXPERIMENT = "987654";
  private static final String NEVER_NAME = "never-made-this";

  record Fixture(TestServer s, String alice, String bob, String acmeRun, List<String> globexExperiments,
      String globexOnlyName, List<String> globexRuns) {}

  private final ServerPool<Fixture> pool = new ServerPool<>(ObjectIsolationIT::populate);

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  private static Fixture populate(TestServer s) {
    s.createTenant("acme");
    s.createTenant("globex");
    String alice = s.createUser("alice", "acme", "editor");
    String bob = s.createUser("bob", "globex", "editor");

    String acmeChurn = Tracking.createExperiment(s, alice, "acme", "churn");
    String acmeRun = Tracking.createRun(s, alice, "acme", acmeChurn, "xgb-baseline");
    Tracking.logTraining(s, alice, "acme", acmeRun, 1, 250);

    String churn = Tracking.createExperiment(s, bob, "globex", "churn");
    String fraud = Tracking.createExperiment(s, bob, "globex", "fraud-detection");
    String ltv = Tracking.createExperiment(s, bob, "globex", "ltv-forecast");
    String archived = Tracking.createExperiment(s, bob, "globex", "archived-propensity");
    String g1 = Tracking.createRun(s, bob, "globex", churn, "lgbm-tuned");
    Tracking.logTraining(s, bob, "globex", g1, 2, 250);
    String g2 = Tracking.createRun(s, bob, "globex", fraud, "isolation-forest");
    Tracking.logTraining(s, bob, "globex", g2, 3, 100);
    String g3 = Tracking.createRun(s, bob, "globex", ltv, "deleted-attempt");
    Tracking.logTraining(s, bob, "globex", g3, 4, 50);
    TestServer.expectOk(s.post(bob, api("globex", "runs/delete"), Map.of("run_id", g3)));
    TestServer.expectOk(s.post(bob, api("globex", "experiments/delete"), Map.of("experiment_id", archived)));
    // acme has experiments 0 and 1 only; globex's 2, 3 and 4 have no acme counterpart.
    assertThat(List.of(fraud, ltv, archived)).containsExactly("2", "3", "4");
    return new Fixture(s, alice, bob, acmeRun, List.of(fraud, ltv, archived), "fraud-detection", List.of(g1, g2, g3));
  }

  /** A request whose path and body may hold {@code ID}, replaced by the identifier under test. */
  record Probe(String method, String route, Map<String, Object> body) {
    static Probe get(String route) {
      return new Probe("GET", route, null);
    }

    static Probe post(String route, Map<String, Object> body) {
      return new Probe("POST", route, body);
    }

    TestServer.Response send(TestServer s, String token, String id) {
      String path = api("acme", route.replace("ID", id));
      if (method.equals("GET")) {
        return s.get(token, path);
      }
      try {
        return s.post(token, path, Json.MAPPER.writeValueAsString(body).replace("ID", id));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private static List<Probe> experimentProbes() {
    return List.of(
        Probe.get("experiments/get?experiment_id=ID"),
        Probe.post("experiments/delete", map("experiment_id", "ID")),
        Probe.post("experiments/restore", map("experiment_id", "ID")),
        Probe.post("experiments/update", map("experiment_id", "ID", "new_name", "churn-renamed-by-acme")),
        Probe.post("experiments/set-experiment-tag", map("experiment_id", "ID", "key", "owner", "value", "mallory")),
        Probe.post("experiments/delete-experiment-tag", map("experiment_id", "ID", "key", "team")),
        Probe.post("runs/create", map("experiment_id", "ID", "run_name", "intruder", "start_time", 1_718_000_000_000L)),
        Probe.post("runs/search", map("experiment_ids", List.of("ID"))),
        Probe.post("runs/search", map("experiment_ids", List.of("0", "1", "ID"), "run_view_type", "ALL")),
        Probe.post("runs/search", map("experiment_ids", List.of("ID"), "filter", "metrics.val_auc > 0",
            "order_by", List.of("metrics.val_auc DESC"))),
        Probe.post("experiments/search", map("filter", "attributes.experiment_id = 'ID'", "view_type", "ALL")));
  }

  private static List<Probe> nameProbes() {
    return List.of(
        Probe.get("experiments/get-by-name?experiment_name=ID"),
        Probe.post("experiments/search", map("filter", "name = 'ID'", "view_type", "ALL")),
        Probe.post("experiments/search", map("filter", "name LIKE 'ID%'", "view_type", "ALL")));
  }

  private static List<Probe> runProbes() {
    List<Map<String, Object>> metrics = new ArrayList<>();
    for (int step = 0; step < 50; step++) {
      metrics.add(Tracking.metric("val_auc", 0.01, 10_000 + step));
    }
    return List.of(
        Probe.get("runs/get?run_id=ID"),
        Probe.get("runs/get?run_uuid=ID"),
        Probe.post("runs/update", map("run_id", "ID", "run_uuid", "ID", "status", "KILLED", "end_time", 1_718_999_000_000L)),
        Probe.post("runs/update", map("run_id", "ID", "run_name", "hijacked")),
        Probe.post("runs/delete", map("run_id", "ID")),
        Probe.post("runs/restore", map("run_id", "ID")),
        Probe.post("runs/log-metric", map("run_id", "ID", "run_uuid", "ID", "key", "val_auc", "value", 0.01,
            "timestamp", 1_718_999_000_000L, "step", 9999)),
        Probe.post("runs/log-parameter", map("run_id", "ID", "key", "learning_rate", "value", "9.9")),
        Probe.post("runs/log-parameter", map("run_id", "ID", "key", "brand_new_param", "value", "1")),
        Probe.post("runs/set-tag", map("run_id", "ID", "key", "stage", "value", "production")),
        Probe.post("runs/set-tag", map("run_id", "ID", "key", "mlflow.runName", "value", "renamed")),
        Probe.post("runs/delete-tag", map("run_id", "ID", "key", "stage")),
        Probe.post("runs/log-batch", map("run_id", "ID", "metrics", metrics,
            "params", List.of(map("key", "max_depth", "value", "99")),
            "tags", List.of(map("key", "stage", "value", "archived")))),
        Probe.post("runs/log-inputs", map("run_id", "ID", "datasets", List.of(map(
            "tags", List.of(map("key", "mlflow.data.context", "value", "training")),
            "dataset", map("name", "customers-2024q2", "digest", "4f3c2a1b", "source_type", "s3",
                "source", "{\"uri\": \"s3://acme-data/customers\"}"))))),
        Probe.get("metrics/get-history?run_id=ID&run_uuid=ID&metric_key=val_auc&max_results=25000"),
        Probe.get("metrics/get-history?run_id=ID&metric_key=learning_rate"),
        Probe.get("metrics/get-history-bulk-interval?run_ids=ID&metric_key=val_auc&max_results=100"),
        Probe.post("runs/search", map("experiment_ids", List.of("0", "1"), "filter", "attributes.run_id = 'ID'")),
        Probe.post("runs/search", map("experiment_ids", List.of("0", "1"), "filter", "attributes.run_id IN ('ID')",
            "run_view_type", "ALL")));
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void globexIdentifiersAnswerLikeNeverExistingOnesAndGlobexIsUntouched(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    Map<String, JsonNode> globexBefore = globexState(f);
    Map<String, JsonNode> acmeBefore = acmeState(f);
    int compared = 0;
    // Alice is an acme editor; the platform admin acting in acme must be held to acme just the same.
    for (String caller : List.of(f.alice(), s.adminToken())) {
      // The platform admin gets a sample of the probes: it takes the same code path as alice.
      int sample = caller.equals(f.alice()) ? 3 : 1;
      for (String foreign : f.globexExperiments().subList(0, sample)) {
        for (Probe p : experimentProbes()) {
          compared += assertLikeNeverExisting(s, caller, p, foreign, NEVER_EXPERIMENT);
        }
      }
      for (Probe p : nameProbes()) {
        compared += assertLikeNeverExisting(s, caller, p, f.globexOnlyName(), NEVER_NAME);
      }
      for (String foreign : f.globexRuns().subList(0, sample)) {
        String never = UUID.randomUUID().toString().replace("-", "");
        for (Probe p : runProbes()) {
          compared += assertLikeNeverExisting(s, caller, p, foreign, never);
        }
        // Mixed with acme's own run, bulk-interval returns acme's points only.
        Probe mixed = Probe.get("metrics/get-history-bulk-interval?run_ids=" + f.acmeRun()
            + "&run_ids=ID&metric_key=val_auc&max_results=20");
        compared += assertLikeNeverExisting(s, caller, mixed, foreign, never);
      }
    }
    assertThat(compared).isGreaterThan(100);
    assertThat(globexState(f)).as("globex is unchanged").isEqualTo(globexBefore);
    assertThat(acmeState(f)).as("acme is unchanged by calls that all failed").isEqualTo(acmeBefore);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void searchesWithoutIdentifiersNeverReturnTheOtherTenantsObjects(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    JsonNode exps = TestServer.expectOk(s.post(f.alice(), api("acme", "experiments/search"),
        Map.of("view_type", "ALL", "max_results", 1000))).json();
    assertThat(exps.path("experiments").findValuesAsText("name")).containsExactlyInAnyOrder("Default", "churn");
    JsonNode runs = TestServer.expectOk(s.post(f.alice(), api("acme", "runs/search"),
        Map.of("experiment_ids", List.of("0", "1", "2", "3", "4"), "run_view_type", "ALL",
            "filter", "params.objective = 'binary:logistic'"))).json();
    assertThat(runs.path("runs").findValuesAsText("run_id")).containsExactly(f.acmeRun());
    // globex sees its own "churn", not acme's, under the same name.
    JsonNode globexChurn = TestServer.expectOk(
        s.get(f.bob(), api("globex", "experiments/get-by-name?experiment_name=churn"))).json();
    assertThat(globexChurn.toString()).contains("globex-ml").doesNotContain("acme");
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void experimentIdsLeakNoCrossTenantSequence(TestDatabases.Kind kind) {
    TestServer s = pool.get(kind).s();
    s.createTenant("hooli");
    s.createTenant("piedpiper");
    String gavin = s.createUser("gavin", "hooli", "editor");
    String richard = s.createUser("richard", "piedpiper", "editor");
    for (int i = 0; i < 5; i++) {
      Tracking.createExperiment(s, gavin, "hooli", "nucleus-" + i);
    }
    assertThat(Tracking.createExperiment(s, richard, "piedpiper", "middle-out"))
        .as("another tenant's activity does not move this tenant's ids").isEqualTo("1");
  }

  /** Compares the foreign identifier's answer with a never-existing one's; returns 1. */
  private static int assertLikeNeverExisting(TestServer s, String caller, Probe p, String foreign, String never) {
    TestServer.Response a = p.send(s, caller, foreign);
    TestServer.Response b = p.send(s, caller, never);
    String what = p.method() + " " + p.route() + " " + p.body() + " with " + foreign;
    assertThat(a.status()).as(what + ": " + a.body()).isEqualTo(b.status());
    if (a.status() == 200) {
      // A success never echoes the identifier, so the bodies must be identical as they are.
      assertThat(a.body()).as(what).isEqualTo(b.body());
    } else {
      // An error body is {error_code, message}; only the message may name the identifier asked for.
      // (Substituting in the raw body is safe: short numeric ids like "2" only occur in the message.)
      assertThat(a.body().replace(foreign, PLACEHOLDER)).as(what).isEqualTo(b.body().replace(never, PLACEHOLDER));
    }
    assertThat(a.body()).as(what).doesNotContain("globex").doesNotContain("lgbm-tuned")
        .doesNotContain("isolation-forest");
    if (a.status() != 200) {
      ErrorBodies.assertClean(a);
      assertThat(a.status()).as(what).isIn(400, 404);
    }
    return 1;
  }

  private static Map<String, JsonNode> globexState(Fixture f) {
    TestServer s = f.s();
    Map<String, JsonNode> state = new LinkedHashMap<>();
    for (String e : List.of("0", "1", "2", "3", "4")) {
      state.put("exp " + e, TestServer.expectOk(s.get(f.bob(), api("globex", "experiments/get?experiment_id=" + e)))
          .json());
    }
    for (String r : f.globexRuns()) {
      state.put("run " + r, TestServer.expectOk(s.get(f.bob(), api("globex", "runs/get?run_id=" + r))).json());
      for (String curve : Tracking.CURVES) {
        state.put("history " + r + " " + curve, TestServer.expectOk(s.get(f.bob(),
            api("globex", "metrics/get-history?run_id=" + r + "&metric_key=" + curve))).json());
      }
    }
    state.put("runs", TestServer.expectOk(s.post(f.bob(), api("globex", "runs/search"),
        Map.of("experiment_ids", List.of("0", "1", "2", "3", "4"), "run_view_type", "ALL"))).json());
    state.put("experiments", TestServer.expectOk(s.post(f.bob(), api("globex", "experiments/search"),
        Map.of("view_type", "ALL"))).json());
    assertThat(state.get("runs").path("runs").size()).isEqualTo(3);
    return state;
  }

  private static Map<String, JsonNode> acmeState(Fixture f) {
    TestServer s = f.s();
    Map<String, JsonNode> state = new LinkedHashMap<>();
    state.put("runs", TestServer.expectOk(s.post(f.alice(), api("acme", "runs/search"),
        Map.of("experiment_ids", List.of("0", "1"), "run_view_type", "ALL"))).json());
    state.put("experiments", TestServer.expectOk(s.post(f.alice(), api("acme", "experiments/search"),
        Map.of("view_type", "ALL"))).json());
    state.put("history", TestServer.expectOk(s.get(f.alice(),
        api("acme", "metrics/get-history?run_id=" + f.acmeRun() + "&metric_key=val_auc"))).json());
    return state;
  }
}
