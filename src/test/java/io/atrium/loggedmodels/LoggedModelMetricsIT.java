package io.atrium.loggedmodels;

import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.isolation.support.ServerPool;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import io.atrium.testing.TestServer.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MLflow 3's model workflow around a run over real HTTP, on H2 and PostgreSQL: metrics logged with a
 * model_id come back on the logged model and drive its search; runs report the models they used
 * and produced; a model's artifact directory lists; globex's model ids answer like missing ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoggedModelMetricsIT {
  record Fixture(TestServer s, String alice, String bob, String experiment, String run, String globexRun) {}

  private final ServerPool<Fixture> pool = new ServerPool<>(LoggedModelMetricsIT::populate);

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
    String exp = Tracking.createExperiment(s, alice, "acme", "churn");
    String run = Tracking.createRun(s, alice, "acme", exp, "gbm-sweep");
    String gexp = Tracking.createExperiment(s, bob, "globex", "fraud");
    String grun = Tracking.createRun(s, bob, "globex", gexp, "xgb");
    return new Fixture(s, alice, bob, exp, run, grun);
  }

  private static JsonNode ok(Response r) {
    return TestServer.expectOk(r).json();
  }

  private static String model(Fixture f, String name) {
    return model(f, f.experiment(), f.run(), name);
  }

  private static String model(Fixture f, String experiment, String run, String name) {
    JsonNode m = ok(f.s().post(f.alice(), api("acme", "logged-models"),
        Map.of("experiment_id", experiment, "name", name, "source_run_id", run)));
    return m.path("model").path("info").path("model_id").asText();
  }

  private static Map<String, Object> point(String key, double value, long ts, long step, String modelId, String dataset) {
    Map<String, Object> m = new HashMap<>(Map.of("key", key, "value", value, "timestamp", ts, "step", step, "model_id", modelId));
    if (dataset != null) {
      m.put("dataset_name", dataset);
      m.put("dataset_digest", "d-" + dataset);
    }
    return m;
  }

  private static List<String> ids(JsonNode search) {
    List<String> out = new ArrayList<>();
    search.path("models").forEach(m -> out.add(m.path("info").path("model_id").asText()));
    return out;
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void metricsLoggedWithAModelIdBelongToTheModel(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    // An experiment of its own: search results hold exactly this test's models.
    String exp = Tracking.createExperiment(s, f.alice(), "acme", "model-metrics");
    String run = Tracking.createRun(s, f.alice(), "acme", exp, "gbm-sweep");
    String strong = model(f, exp, run, "strong");
    String weak = model(f, exp, run, "weak");
    String bare = model(f, exp, run, "bare");

    ok(s.post(f.alice(), api("acme", "runs/log-metric"), Map.of("run_id", run, "key", "acc", "value", 0.7,
        "timestamp", 1000, "step", 0, "model_id", strong)));
    // A client retry of the same point, then a later, better one on a dataset, via log-batch.
    List<Map<String, Object>> batch = new ArrayList<>();
    batch.add(point("acc", 0.7, 1000, 0, strong, null));
    batch.add(point("acc", 0.93, 2000, 1, strong, "holdout"));
    batch.add(point("acc", 0.41, 2000, 1, weak, "holdout"));
    batch.add(point("loss", 0.2, 2000, 1, weak, null));
    batch.add(Map.of("key", "lr", "value", 0.01, "timestamp", 2000, "step", 0));
    ok(s.post(f.alice(), api("acme", "runs/log-batch"), Map.of("run_id", run, "metrics", batch)));

    JsonNode got = ok(s.get(f.alice(), api("acme", "logged-models/" + strong))).path("model").path("data").path("metrics");
    assertThat(got).hasSize(2);
    assertThat(got.get(0).path("key").asText()).isEqualTo("acc");
    assertThat(got.get(0).path("value").asDouble()).isEqualTo(0.7);
    assertThat(got.get(0).path("run_id").asText()).isEqualTo(run);
    assertThat(got.get(0).path("model_id").asText()).isEqualTo(strong);
    assertThat(got.get(1).path("value").asDouble()).isEqualTo(0.93);
    assertThat(got.get(1).path("dataset_name").asText()).isEqualTo("holdout");
    assertThat(got.get(1).path("dataset_digest").asText()).isEqualTo("d-holdout");
    assertThat(ok(s.get(f.alice(), api("acme", "logged-models/" + bare))).path("model").path("data").path("metrics")).isEmpty();
    // The run keeps its own metrics as before, model-linked or not.
    JsonNode runMetrics = ok(s.get(f.alice(), api("acme", "runs/get?run_id=" + run))).path("run").path("data").path("metrics");
    assertThat(runMetrics.toString()).contains("\"acc\"", "\"lr\"", "\"loss\"");

    Map<String, Object> search = new HashMap<>(Map.of("experiment_ids", List.of(exp)));
    search.put("filter", "metrics.acc > 0.5");
    assertThat(ids(ok(s.post(f.alice(), api("acme", "logged-models/search"), search)))).containsExactly(strong);
    search.put("filter", "metrics.acc > 0.3 AND metrics.loss < 1");
    assertThat(ids(ok(s.post(f.alice(), api("acme", "logged-models/search"), search)))).containsExactly(weak);
    search.remove("filter");
    search.put("order_by", List.of(Map.of("field_name", "metrics.acc", "ascending", false)));
    assertThat(ids(ok(s.post(f.alice(), api("acme", "logged-models/search"), search)))).containsExactly(strong, weak, bare);
    search.put("order_by", List.of(Map.of("field_name", "metrics.acc", "ascending", true)));
    // Models without the metric stay last in either direction.
    assertThat(ids(ok(s.post(f.alice(), api("acme", "logged-models/search"), search)))).containsExactly(weak, strong, bare);
    search.remove("order_by");
    search.put("datasets", List.of(Map.of("dataset_name", "holdout")));
    search.put("filter", "metrics.acc > 0.8");
    assertThat(ids(ok(s.post(f.alice(), api("acme", "logged-models/search"), search)))).containsExactly(strong);
    search.remove("filter");
    assertThat(ids(ok(s.post(f.alice(), api("acme", "logged-models/search"), search)))).containsExactlyInAnyOrder(strong, weak);
    search.put("datasets", List.of(Map.of("dataset_name", "holdout", "dataset_digest", "other")));
    assertThat(ids(ok(s.post(f.alice(), api("acme", "logged-models/search"), search)))).isEmpty();
    Response bad = s.post(f.alice(), api("acme", "logged-models/search"),
        Map.of("experiment_ids", List.of(exp), "filter", "metrics.acc > 'high'"));
    assertThat(bad.status()).as(bad.body()).isEqualTo(400);

    // globex can neither attach metrics to acme's model nor see that it exists.
    Map<String, Object> foreign = new HashMap<>(Map.of("run_id", f.globexRun(), "key", "acc", "value", 0.99,
        "timestamp", 3000, "step", 2, "model_id", strong));
    Response stolen = s.post(f.bob(), api("globex", "runs/log-metric"), foreign);
    foreign.put("model_id", "m-0123456789abcdef0123456789abcdef");
    Response never = s.post(f.bob(), api("globex", "runs/log-metric"), foreign);
    assertThat(stolen.status()).isEqualTo(404);
    assertThat(stolen.body().replace(strong, "X")).isEqualTo(never.body().replace("m-0123456789abcdef0123456789abcdef", "X"));
    Response stolenInput = s.post(f.bob(), api("globex", "runs/log-inputs"),
        Map.of("run_id", f.globexRun(), "models", List.of(Map.of("model_id", strong))));
    assertThat(stolenInput.status()).isEqualTo(404);
    // The failed request wrote nothing, not even the run's own point.
    assertThat(ok(s.get(f.bob(), api("globex", "runs/get?run_id=" + f.globexRun()))).path("run").path("data").path("metrics")).isEmpty();
    assertThat(ok(s.get(f.alice(), api("acme", "logged-models/" + strong))).path("model").path("data").path("metrics")).hasSize(2);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void runsReportTheModelsTheyUsedAndProduced(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String run = Tracking.createRun(s, f.alice(), "acme", f.experiment(), "evaluate");
    String produced = model(f, "produced");
    String used = model(f, "used");
    ok(s.post(f.alice(), api("acme", "runs/outputs"), Map.of("run_id", run, "models", List.of(Map.of("model_id", produced, "step", 3)))));
    ok(s.post(f.alice(), api("acme", "runs/log-inputs"), Map.of("run_id", run, "models", List.of(Map.of("model_id", used)))));
    // Logged twice, kept once.
    ok(s.post(f.alice(), api("acme", "runs/log-inputs"), Map.of("run_id", run, "models", List.of(Map.of("model_id", used)))));

    JsonNode r = ok(s.get(f.alice(), api("acme", "runs/get?run_id=" + run))).path("run");
    assertThat(r.path("outputs").path("model_outputs")).hasSize(1);
    assertThat(r.path("outputs").path("model_outputs").get(0).path("model_id").asText()).isEqualTo(produced);
    assertThat(r.path("outputs").path("model_outputs").get(0).path("step").asLong()).isEqualTo(3);
    assertThat(r.path("inputs").path("model_inputs")).hasSize(1);
    assertThat(r.path("inputs").path("model_inputs").get(0).path("model_id").asText()).isEqualTo(used);

    JsonNode found = ok(s.post(f.alice(), api("acme", "runs/search"), Map.of("experiment_ids", List.of(f.experiment()),
        "filter", "attributes.run_name = 'evaluate'")));
    assertThat(found.path("runs").get(0).path("outputs").path("model_outputs").get(0).path("model_id").asText()).isEqualTo(produced);
    assertThat(found.path("runs").get(0).path("inputs").path("model_inputs").get(0).path("model_id").asText()).isEqualTo(used);
    // A run without models keeps MLflow's empty shapes.
    JsonNode plain = ok(s.get(f.bob(), api("globex", "runs/get?run_id=" + f.globexRun()))).path("run");
    assertThat(plain.path("outputs").isObject()).isTrue();
    assertThat(plain.path("outputs").path("model_outputs").isMissingNode()).isTrue();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aModelsArtifactDirectoriesList(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String id = model(f, "with-files");
    String root = "/t/acme/api/2.0/mlflow-artifacts/artifacts/" + f.experiment() + "/models/" + id + "/artifacts/";
    ok(s.send(f.alice(), "PUT", root + "MLmodel", "flavors: {}\n", "application/octet-stream"));
    ok(s.send(f.alice(), "PUT", root + "model/model.pkl", "0123456789", "application/octet-stream"));

    JsonNode top = ok(s.get(f.alice(), api("acme", "logged-models/" + id + "/artifacts/directories")));
    assertThat(top.path("root_uri").asText()).isEqualTo("mlflow-artifacts:/" + f.experiment() + "/models/" + id + "/artifacts");
    assertThat(top.path("files").toString()).contains("\"path\":\"MLmodel\"", "\"path\":\"model\"");
    JsonNode sub = ok(s.get(f.alice(), api("acme", "logged-models/" + id + "/artifacts/directories?artifact_directory_path=model")));
    assertThat(sub.path("files")).hasSize(1);
    assertThat(sub.path("files").get(0).path("path").asText()).isEqualTo("model/model.pkl");
    assertThat(sub.path("files").get(0).path("file_size").asLong()).isEqualTo(10);
    assertThat(ok(s.get(f.alice(), api("acme", "logged-models/" + id + "/artifacts/directories?artifact_directory_path=nothing")))
        .path("files").isMissingNode()).isTrue();

    for (String evil : List.of("..", "../..", "model/../../other", "%2e%2e/x", "/etc", "model%00")) {
      Response r = s.get(f.alice(), api("acme", "logged-models/" + id + "/artifacts/directories?artifact_directory_path=" + evil));
      assertThat(r.status()).as(evil + " " + r.body()).isEqualTo(400);
    }
    Response foreign = s.get(f.bob(), api("globex", "logged-models/" + id + "/artifacts/directories"));
    Response never = s.get(f.bob(), api("globex", "logged-models/m-0123456789abcdef0123456789abcdef/artifacts/directories"));
    assertThat(foreign.status()).isEqualTo(404);
    assertThat(foreign.body().replace(id, "X")).isEqualTo(never.body().replace("m-0123456789abcdef0123456789abcdef", "X"));
  }
}
