package io.atrium.registry;

import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.isolation.support.ServerPool;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import io.atrium.testing.TestServer.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Logged models, the model registry and cross-tenant sharing over real HTTP, on H2 and PostgreSQL:
 * every route, MLflow's shapes and errors, tenant isolation (globex's names answer like missing
 * ones), read-only shared models, and revocation on the next request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RegistryIT {
  record Fixture(TestServer s, String alice, String bob, String vic, String acmeAdmin, String experiment, String run) {}

  private final ServerPool<Fixture> pool = new ServerPool<>(RegistryIT::populate);

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
    String vic = s.createUser("vic", "acme", "viewer");
    String admin = s.createUser("ada", "acme", "admin");
    String exp = Tracking.createExperiment(s, alice, "acme", "churn");
    String run = Tracking.createRun(s, alice, "acme", exp, "lr-baseline");
    return new Fixture(s, alice, bob, vic, admin, exp, run);
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static JsonNode ok(Response r) {
    return TestServer.expectOk(r).json();
  }

  private static void error(Response r, int status, String code) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.json().path("error_code").asText()).as(r.body()).isEqualTo(code);
  }

  /** A logged model with a registered version 1 of {@code name}, via the routes the client uses. */
  private static String logAndRegister(Fixture f, String name) {
    TestServer s = f.s();
    JsonNode m = ok(s.post(f.alice(), api("acme", "logged-models"), Map.of("experiment_id", f.experiment(),
        "name", "model", "source_run_id", f.run(), "model_type", "sklearn",
        "params", List.of(Map.of("key", "C", "value", "1.0")), "tags", List.of(Map.of("key", "flavor", "value", "sklearn")))));
    String id = m.path("model").path("info").path("model_id").asText();
    ok(s.post(f.alice(), api("acme", "runs/outputs"), Map.of("run_id", f.run(), "models", List.of(Map.of("model_id", id, "step", 0)))));
    ok(s.send(f.alice(), "PATCH", api("acme", "logged-models/" + id), "{\"status\":\"LOGGED_MODEL_READY\"}", "application/json"));
    Response created = s.post(f.alice(), api("acme", "registered-models/create"), Map.of("name", name));
    assertThat(created.status()).isIn(200, 400);
    ok(s.post(f.alice(), api("acme", "model-versions/create"), Map.of("name", name, "source", "models:/" + id, "model_id", id)));
    return id;
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void loggedModelLifecycle(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    JsonNode m = ok(s.post(f.alice(), api("acme", "logged-models"), Map.of("experiment_id", f.experiment(), "name", "clf",
        "source_run_id", f.run(), "params", List.of(Map.of("key", "C", "value", "0.5")))));
    JsonNode info = m.path("model").path("info");
    String id = info.path("model_id").asText();
    assertThat(id).startsWith("m-");
    assertThat(info.path("artifact_uri").asText()).isEqualTo("mlflow-artifacts:/" + f.experiment() + "/models/" + id + "/artifacts");
    assertThat(info.path("status").asText()).isEqualTo("LOGGED_MODEL_PENDING");
    assertThat(m.path("model").path("data").path("params").get(0).path("value").asText()).isEqualTo("0.5");

    ok(s.post(f.alice(), api("acme", "logged-models/" + id + "/params"), Map.of("params", List.of(Map.of("key", "penalty", "value", "l2")))));
    ok(s.send(f.alice(), "PATCH", api("acme", "logged-models/" + id + "/tags"), "{\"tags\":[{\"key\":\"team\",\"value\":\"churn\"}]}", "application/json"));
    JsonNode ready = ok(s.send(f.alice(), "PATCH", api("acme", "logged-models/" + id), "{\"status\":\"LOGGED_MODEL_READY\"}", "application/json"));
    assertThat(ready.path("model").path("info").path("status").asText()).isEqualTo("LOGGED_MODEL_READY");
    JsonNode got = ok(s.get(f.alice(), api("acme", "logged-models/" + id)));
    assertThat(got.path("model").path("info").path("tags").toString()).contains("team");
    assertThat(got.path("model").path("data").path("params")).hasSize(2);

    JsonNode found = ok(s.post(f.alice(), api("acme", "logged-models/search"), Map.of("experiment_ids", List.of(f.experiment()),
        "filter", "name = 'clf' AND tags.team = 'churn' AND params.C = '0.5'")));
    assertThat(found.path("models")).hasSize(1);

    ok(s.send(f.alice(), "DELETE", api("acme", "logged-models/" + id + "/tags/team"), null, null));
    error(s.send(f.alice(), "DELETE", api("acme", "logged-models/" + id + "/tags/team"), null, null), 404, "RESOURCE_DOES_NOT_EXIST");

    // Another tenant: the same as a model that never existed, and nothing changed.
    Response foreign = s.get(f.bob(), api("globex", "logged-models/" + id));
    Response never = s.get(f.bob(), api("globex", "logged-models/m-00000000000000000000000000000000"));
    error(foreign, 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(foreign.body().replace(id, "X")).isEqualTo(never.body().replace("m-00000000000000000000000000000000", "X"));
    error(s.send(f.bob(), "PATCH", api("globex", "logged-models/" + id), "{\"status\":\"LOGGED_MODEL_UPLOAD_FAILED\"}", "application/json"), 404, "RESOURCE_DOES_NOT_EXIST");
    error(s.send(f.bob(), "DELETE", api("globex", "logged-models/" + id), null, null), 404, "RESOURCE_DOES_NOT_EXIST");
    error(s.post(f.bob(), api("globex", "runs/outputs"), Map.of("run_id", f.run(), "models", List.of(Map.of("model_id", id, "step", 0)))), 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(ok(s.get(f.alice(), api("acme", "logged-models/" + id))).path("model").path("info").path("status").asText()).isEqualTo("LOGGED_MODEL_READY");

    error(s.post(f.vic(), api("acme", "logged-models"), Map.of("experiment_id", f.experiment())), 403, "PERMISSION_DENIED");
    ok(s.send(f.alice(), "DELETE", api("acme", "logged-models/" + id), null, null));
    error(s.get(f.alice(), api("acme", "logged-models/" + id)), 404, "RESOURCE_DOES_NOT_EXIST");
    ok(s.get(f.alice(), api("acme", "logged-models/" + id) + "?allow_deleted=true"));
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void registryRoutes(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String name = "churn-" + kind.name().toLowerCase();
    JsonNode created = ok(s.post(f.alice(), api("acme", "registered-models/create"), Map.of("name", name,
        "description", "churn model", "tags", List.of(Map.of("key", "team", "value", "growth")))));
    assertThat(created.path("registered_model").path("name").asText()).isEqualTo(name);
    error(s.post(f.alice(), api("acme", "registered-models/create"), Map.of("name", name)), 400, "RESOURCE_ALREADY_EXISTS");
    error(s.post(f.alice(), api("acme", "registered-models/create"), Map.of("name", "shared.x.y")), 400, "INVALID_PARAMETER_VALUE");
    error(s.post(f.alice(), api("acme", "registered-models/create"), Map.of("name", "a/b")), 400, "INVALID_PARAMETER_VALUE");

    String id = logAndRegister(f, name);
    JsonNode v1 = ok(s.get(f.alice(), api("acme", "model-versions/get") + "?name=" + q(name) + "&version=1"));
    assertThat(v1.path("model_version").path("version").asText()).isEqualTo("1");
    assertThat(v1.path("model_version").path("current_stage").asText()).isEqualTo("None");
    assertThat(v1.path("model_version").path("status").asText()).isEqualTo("READY");
    assertThat(v1.path("model_version").path("run_id").asText()).isEqualTo(f.run());
    JsonNode uri = ok(s.get(f.alice(), api("acme", "model-versions/get-download-uri") + "?name=" + q(name) + "&version=1"));
    assertThat(uri.path("artifact_uri").asText()).isEqualTo("mlflow-artifacts:/" + f.experiment() + "/models/" + id + "/artifacts");

    // A second version from runs:/ and one from mlflow-artifacts:/ (both resolved in acme).
    JsonNode v2 = ok(s.post(f.alice(), api("acme", "model-versions/create"), Map.of("name", name, "source", "runs:/" + f.run() + "/model")));
    assertThat(v2.path("model_version").path("version").asText()).isEqualTo("2");
    ok(s.post(f.alice(), api("acme", "model-versions/create"), Map.of("name", name, "source", "mlflow-artifacts:/" + f.experiment() + "/x")));

    // Unsafe or foreign sources are refused.
    for (String bad : List.of("file:///etc/passwd", "/etc/passwd", "http://evil/x", "s3://bucket/x", "runs:/" + f.run() + "/../../x",
        "mlflow-artifacts:/" + f.experiment() + "/%2e%2e/x", "mlflow-artifacts://host/x", "runs:/deadbeefdeadbeef/model",
        "mlflow-artifacts:/../1", "models:/m-nope", "runs:/" + f.run() + "/a\\..\\b", "mlflow-artifacts:/999/x")) {
      error(s.post(f.alice(), api("acme", "model-versions/create"), Map.of("name", name, "source", bad)), 400, "INVALID_PARAMETER_VALUE");
    }
    error(s.post(f.alice(), api("acme", "model-versions/create"), Map.of("name", name, "source", "runs:/" + f.run() + "/m",
        "run_link", "http://evil/")), 400, "INVALID_PARAMETER_VALUE");

    // Aliases.
    ok(s.post(f.alice(), api("acme", "registered-models/alias"), Map.of("name", name, "alias", "champion", "version", "1")));
    JsonNode byAlias = ok(s.get(f.alice(), api("acme", "registered-models/alias") + "?name=" + q(name) + "&alias=champion"));
    assertThat(byAlias.path("model_version").path("version").asText()).isEqualTo("1");
    assertThat(byAlias.path("model_version").path("aliases").toString()).contains("champion");
    error(s.post(f.alice(), api("acme", "registered-models/alias"), Map.of("name", name, "alias", "latest", "version", "1")), 400, "INVALID_PARAMETER_VALUE");
    error(s.post(f.alice(), api("acme", "registered-models/alias"), Map.of("name", name, "alias", "x", "version", "99")), 404, "RESOURCE_DOES_NOT_EXIST");

    // Stages and latest versions.
    JsonNode staged = ok(s.post(f.alice(), api("acme", "model-versions/transition-stage"), Map.of("name", name, "version", "2",
        "stage", "production", "archive_existing_versions", true)));
    assertThat(staged.path("model_version").path("current_stage").asText()).isEqualTo("Production");
    JsonNode latest = ok(s.post(f.alice(), api("acme", "registered-models/get-latest-versions"), Map.of("name", name, "stages", List.of("Production"))));
    assertThat(latest.path("model_versions")).hasSize(1);
    assertThat(latest.path("model_versions").get(0).path("version").asText()).isEqualTo("2");
    error(s.post(f.alice(), api("acme", "model-versions/transition-stage"), Map.of("name", name, "version", "2", "stage", "Live")), 400, "INVALID_PARAMETER_VALUE");

    // Tags, updates, search.
    ok(s.post(f.alice(), api("acme", "model-versions/set-tag"), Map.of("name", name, "version", "1", "key", "validated", "value", "yes")));
    ok(s.send(f.alice(), "PATCH", api("acme", "model-versions/update"), "{\"name\":\"" + name + "\",\"version\":\"1\",\"description\":\"v1\"}", "application/json"));
    ok(s.send(f.alice(), "PATCH", api("acme", "registered-models/update"), "{\"name\":\"" + name + "\",\"description\":\"d2\"}", "application/json"));
    ok(s.post(f.alice(), api("acme", "registered-models/set-tag"), Map.of("name", name, "key", "owner", "value", "alice")));
    JsonNode search = ok(s.get(f.alice(), api("acme", "registered-models/search") + "?filter=" + q("name LIKE 'churn-%' AND tags.owner = 'alice'")));
    assertThat(search.path("registered_models").toString()).contains(name);
    JsonNode vsearch = ok(s.get(f.alice(), api("acme", "model-versions/search") + "?filter=" + q("name = '" + name + "' AND tags.validated = 'yes'")));
    assertThat(vsearch.path("model_versions")).hasSize(1);
    JsonNode paged = ok(s.get(f.alice(), api("acme", "model-versions/search") + "?filter=" + q("name = '" + name + "'") + "&max_results=2&order_by=version_number+ASC"));
    assertThat(paged.path("model_versions")).hasSize(2);
    assertThat(paged.path("next_page_token").asText()).isNotEmpty();
    JsonNode page2 = ok(s.get(f.alice(), api("acme", "model-versions/search") + "?filter=" + q("name = '" + name + "'")
        + "&max_results=2&order_by=version_number+ASC&page_token=" + q(paged.path("next_page_token").asText())));
    assertThat(page2.path("model_versions")).hasSize(1);
    assertThat(page2.path("model_versions").get(0).path("version").asText()).isEqualTo("3");
    error(s.get(f.alice(), api("acme", "registered-models/search") + "?filter=" + q("owner = 'x'")), 400, "INVALID_PARAMETER_VALUE");
    ok(s.send(f.alice(), "DELETE", api("acme", "model-versions/delete-tag"), "{\"name\":\"" + name + "\",\"version\":\"1\",\"key\":\"validated\"}", "application/json"));
    ok(s.send(f.alice(), "DELETE", api("acme", "registered-models/delete-tag"), "{\"name\":\"" + name + "\",\"key\":\"owner\"}", "application/json"));

    // Isolation: globex sees acme's names, versions and aliases exactly like missing ones, and changes nothing.
    String never = "never-registered";
    Response foreign = s.get(f.bob(), api("globex", "registered-models/get") + "?name=" + q(name));
    Response missing = s.get(f.bob(), api("globex", "registered-models/get") + "?name=" + never);
    error(foreign, 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(foreign.body().replace(name, "X")).isEqualTo(missing.body().replace(never, "X"));
    error(s.get(f.bob(), api("globex", "model-versions/get") + "?name=" + q(name) + "&version=1"), 404, "RESOURCE_DOES_NOT_EXIST");
    error(s.get(f.bob(), api("globex", "model-versions/get-download-uri") + "?name=" + q(name) + "&version=1"), 404, "RESOURCE_DOES_NOT_EXIST");
    error(s.get(f.bob(), api("globex", "registered-models/alias") + "?name=" + q(name) + "&alias=champion"), 404, "RESOURCE_DOES_NOT_EXIST");
    error(s.post(f.bob(), api("globex", "registered-models/alias"), Map.of("name", name, "alias", "x", "version", "1")), 404, "RESOURCE_DOES_NOT_EXIST");
    error(s.send(f.bob(), "DELETE", api("globex", "registered-models/delete"), "{\"name\":\"" + name + "\"}", "application/json"), 404, "RESOURCE_DOES_NOT_EXIST");
    error(s.post(f.bob(), api("globex", "model-versions/create"), Map.of("name", name, "source", "models:/" + id)), 404, "RESOURCE_DOES_NOT_EXIST");
    ok(s.post(f.bob(), api("globex", "registered-models/create"), Map.of("name", name)));
    error(s.post(f.bob(), api("globex", "model-versions/create"), Map.of("name", name, "source", "models:/" + id)), 400, "INVALID_PARAMETER_VALUE");
    error(s.post(f.bob(), api("globex", "model-versions/create"), Map.of("name", name, "source", "runs:/" + f.run() + "/model")), 400, "INVALID_PARAMETER_VALUE");
    assertThat(ok(s.get(f.bob(), api("globex", "registered-models/search"))).path("registered_models").toString()).doesNotContain("growth");
    assertThat(ok(s.get(f.alice(), api("acme", "registered-models/get") + "?name=" + q(name))).path("registered_model").path("aliases").toString()).contains("champion");

    // Viewer cannot write; rename keeps versions; delete removes.
    error(s.post(f.vic(), api("acme", "registered-models/create"), Map.of("name", "vic-model")), 403, "PERMISSION_DENIED");
    ok(s.post(f.alice(), api("acme", "registered-models/rename"), Map.of("name", name, "new_name", name + "-v2")));
    assertThat(ok(s.get(f.alice(), api("acme", "model-versions/get") + "?name=" + q(name + "-v2") + "&version=2")).path("model_version").path("current_stage").asText()).isEqualTo("Production");
    ok(s.send(f.alice(), "DELETE", api("acme", "model-versions/delete"), "{\"name\":\"" + name + "-v2\",\"version\":\"3\"}", "application/json"));
    JsonNode v4 = ok(s.post(f.alice(), api("acme", "model-versions/create"), Map.of("name", name + "-v2", "source", "runs:/" + f.run() + "/m")));
    assertThat(v4.path("model_version").path("version").asText()).isEqualTo("4");
    ok(s.send(f.alice(), "DELETE", api("acme", "registered-models/delete"), "{\"name\":\"" + name + "-v2\"}", "application/json"));
    error(s.get(f.alice(), api("acme", "registered-models/get") + "?name=" + q(name + "-v2")), 404, "RESOURCE_DOES_NOT_EXIST");
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void sharingIsReadOnlyAndRevocable(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String name = "fraud-" + kind.name().toLowerCase();
    logAndRegister(f, name);
    ok(s.post(f.alice(), api("acme", "registered-models/alias"), Map.of("name", name, "alias", "champion", "version", "1")));
    ok(s.post(f.alice(), api("acme", "model-versions/create"), Map.of("name", name, "source", "runs:/" + f.run() + "/other")));
    String shared = "shared.acme." + name;
    String shares = "/api/atrium/v1/tenants/acme/shares";

    // Before a grant: the shared name is unknown in globex.
    error(s.get(f.bob(), api("globex", "registered-models/get") + "?name=" + q(shared)), 404, "RESOURCE_DOES_NOT_EXIST");
    // Only owners and admins grant.
    error(s.post(f.alice(), shares, Map.of("model", name, "to_tenant", "globex")), 403, "PERMISSION_DENIED");
    error(s.post(f.bob(), shares, Map.of("model", name, "to_tenant", "globex")), 404, "RESOURCE_DOES_NOT_EXIST");
    JsonNode grant = ok(s.post(f.acmeAdmin(), shares, Map.of("model", name, "to_tenant", "globex", "versions", List.of("1"))));
    assertThat(grant.path("share").path("shared_name").asText()).isEqualTo(shared);

    JsonNode rm = ok(s.get(f.bob(), api("globex", "registered-models/get") + "?name=" + q(shared)));
    assertThat(rm.path("registered_model").path("name").asText()).isEqualTo(shared);
    JsonNode byAlias = ok(s.get(f.bob(), api("globex", "registered-models/alias") + "?name=" + q(shared) + "&alias=champion"));
    assertThat(byAlias.path("model_version").path("run_id").isMissingNode()).isTrue();
    String uri = ok(s.get(f.bob(), api("globex", "model-versions/get-download-uri") + "?name=" + q(shared) + "&version=1")).path("artifact_uri").asText();
    assertThat(uri).startsWith("mlflow-artifacts:/shared/acme/" + f.experiment() + "/models/m-");
    // Version 2 was not shared.
    error(s.get(f.bob(), api("globex", "model-versions/get") + "?name=" + q(shared) + "&version=2"), 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(ok(s.get(f.bob(), api("globex", "registered-models/search"))).path("registered_models").toString()).contains(shared);
    assertThat(ok(s.get(f.bob(), api("globex", "model-versions/search") + "?filter=" + q("name = '" + shared + "'"))).path("model_versions")).hasSize(1);

    // Read-only: every write is refused and changes nothing.
    error(s.post(f.bob(), api("globex", "registered-models/alias"), Map.of("name", shared, "alias", "mine", "version", "1")), 403, "PERMISSION_DENIED");
    error(s.post(f.bob(), api("globex", "model-versions/create"), Map.of("name", shared, "source", "runs:/x/y")), 403, "PERMISSION_DENIED");
    error(s.send(f.bob(), "DELETE", api("globex", "registered-models/delete"), "{\"name\":\"" + shared + "\"}", "application/json"), 403, "PERMISSION_DENIED");
    error(s.post(f.bob(), api("globex", "registered-models/rename"), Map.of("name", shared, "new_name", "stolen")), 403, "PERMISSION_DENIED");
    // bob is an editor in globex: granting (let alone re-sharing acme's model) needs admin there.
    error(s.post(f.bob(), "/api/atrium/v1/tenants/globex/shares", Map.of("model", shared, "to_tenant", "acme")), 403, "PERMISSION_DENIED");
    assertThat(ok(s.get(f.alice(), api("acme", "registered-models/get") + "?name=" + q(name))).path("registered_model").path("aliases")).hasSize(1);

    // Listing from both sides.
    assertThat(ok(s.get(f.vic(), shares)).path("shares").toString()).contains(name);
    assertThat(ok(s.get(f.bob(), "/api/atrium/v1/tenants/globex/shares")).path("received").toString()).contains(name);

    // Revocation: effective on the next request.
    ok(s.send(f.acmeAdmin(), "DELETE", shares, "{\"model\":\"" + name + "\",\"to_tenant\":\"globex\"}", "application/json"));
    error(s.get(f.bob(), api("globex", "registered-models/get") + "?name=" + q(shared)), 404, "RESOURCE_DOES_NOT_EXIST");
    error(s.get(f.bob(), api("globex", "model-versions/get-download-uri") + "?name=" + q(shared) + "&version=1"), 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(ok(s.get(f.bob(), api("globex", "registered-models/search"))).path("registered_models").toString()).doesNotContain(shared);

    // Audited in the owner's log: the grant, the cross-tenant reads, the revocation.
    String log = ok(s.get(s.adminToken(), "/api/atrium/v1/tenants/acme/audit?limit=500")).toString();
    assertThat(log).contains("share.grant").contains("share.read").contains("share.revoke");
  }
}
