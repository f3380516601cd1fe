package io.atrium.isolation;

import static io.atrium.isolation.support.ErrorBodies.assertError;
import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.http.Route;
import io.atrium.isolation.support.ServerPool;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Roles within a tenant (viewer < editor < admin < owner) and the platform admin, on the tracking
 * API and the control plane. Each test that changes memberships uses its own tenant, so the tests of
 * one class share a server without sharing state they change.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthorizationIT {
  /** The people of one tenant, one per role, and a run they all can see. */
  record Team(String tenant, String owner, String admin, String editor, String viewer, String experimentId,
      String runId) {
    String name(String role) {
      return tenant + "-" + role;
    }
  }

  private final ServerPool<TestServer> pool = ServerPool.plain();
  private final Map<String, Team> teams = new java.util.concurrent.ConcurrentHashMap<>();

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  /** A fresh tenant with one user per role (named tenant-role) and a trained run. */
  private static Team team(TestServer s, String tenant) {
    s.createTenant(tenant);
    String owner = s.createUser(tenant + "-owner", tenant, "owner");
    String admin = s.createUser(tenant + "-admin", tenant, "admin");
    String editor = s.createUser(tenant + "-editor", tenant, "editor");
    String viewer = s.createUser(tenant + "-viewer", tenant, "viewer");
    String exp = Tracking.createExperiment(s, editor, tenant, "churn");
    String run = Tracking.createRun(s, editor, tenant, exp, "xgb-depth-6");
    Tracking.logTraining(s, editor, tenant, run, 11, 100);
    return new Team(tenant, owner, admin, editor, viewer, exp, run);
  }

  /** A valid body for each tracking write, so that only the role can be the reason for a refusal. */
  private static Map<String, Object> writeBody(Team t, String path) {
    String run = t.runId();
    String exp = t.experimentId();
    return switch (path.substring(path.indexOf("/mlflow/") + "/mlflow/".length())) {
      case "experiments/create" -> Map.of("name", "viewer-was-here");
      case "experiments/delete", "experiments/restore" -> Map.of("experiment_id", exp);
      case "experiments/update" -> Map.of("experiment_id", exp, "new_name", "churn-v2");
      case "experiments/set-experiment-tag" -> Map.of("experiment_id", exp, "key", "owner", "value", "viewer");
      case "experiments/delete-experiment-tag" -> Map.of("experiment_id", exp, "key", "team");
      case "runs/create" -> Map.of("experiment_id", exp, "run_name", "viewer-run", "start_time", 1_718_000_000_000L);
      case "runs/update" -> Map.of("run_id", run, "status", "FINISHED", "end_time", 1_718_000_900_000L);
      case "runs/delete", "runs/restore" -> Map.of("run_id", run);
      case "runs/log-metric" -> Map.of("run_id", run, "key", "val_auc", "value", 0.5, "timestamp", 1L, "step", 999);
      case "runs/log-parameter" -> Map.of("run_id", run, "key", "new_param", "value", "1");
      case "runs/set-tag" -> Map.of("run_id", run, "key", "stage", "value", "production");
      case "runs/delete-tag" -> Map.of("run_id", run, "key", "stage");
      case "runs/log-batch" -> Map.of("run_id", run, "metrics", List.of(Tracking.metric("val_auc", 0.5, 999)));
      case "runs/log-inputs" -> Map.of("run_id", run, "datasets", List.of(Map.of("dataset",
          Map.of("name", "customers", "digest", "abc123", "source_type", "local", "source", "{}"))));
      default -> Map.of();
    };
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void viewerReadsEverythingButEveryWriteIsDenied(TestDatabases.Kind kind) {
    TestServer s = pool.get(kind);
    Team t = teams.computeIfAbsent(kind + "-view", k -> team(s, "vw-" + kind.name().toLowerCase()));
    String v = t.viewer();
    for (String read : List.of("experiments/get?experiment_id=" + t.experimentId(),
        "experiments/get-by-name?experiment_name=churn", "experiments/search?max_results=10",
        "runs/get?run_id=" + t.runId(), "metrics/get-history?run_id=" + t.runId() + "&metric_key=val_loss",
        "metrics/get-history-bulk-interval?run_ids=" + t.runId() + "&metric_key=val_auc&max_results=50")) {
      assertThat(s.get(v, api(t.tenant(), read)).status()).as(read).isEqualTo(200);
    }
    assertThat(s.post(v, api(t.tenant(), "runs/search"), Map.of("experiment_ids", List.of(t.experimentId())))
        .json().path("runs").size()).isEqualTo(1);
    JsonNode before = s.get(t.editor(), api(t.tenant(), "runs/get?run_id=" + t.runId())).json();
    JsonNode expBefore = s.get(t.editor(), api(t.tenant(), "experiments/get?experiment_id=" + t.experimentId())).json();

    Map<String, String> answers = new TreeMap<>();
    int writes = 0;
    for (Route r : s.atrium().routes()) {
      if (r.scope() != Route.Scope.TENANT || !r.mutates()) {
        continue;
      }
      writes++;
      String path = "/t/" + t.tenant() + r.path().replaceAll("\\{[^}]+}|<[^>]+>", "x");
      TestServer.Response resp = s.send(v, r.method().name(), path,
          io.atrium.http.Json.MAPPER.valueToTree(writeBody(t, r.path())).toString(), "application/json");
      answers.put(r.id(), resp.status() + " " + (resp.status() == 403 ? "" : resp.body()));
      if (resp.status() == 403) {
        assertError(resp, 403, "PERMISSION_DENIED");
      }
    }
    assertThat(writes).as("tracking writes in the route table").isGreaterThanOrEqualTo(16);
    assertThat(answers.values()).as(answers.toString()).allMatch(a -> a.equals("403 "));
    assertThat(s.get(t.editor(), api(t.tenant(), "runs/get?run_id=" + t.runId())).json()).isEqualTo(before);
    assertThat(s.get(t.editor(), api(t.tenant(), "experiments/get?experiment_id=" + t.experimentId())).json())
        .isEqualTo(expBefore);
    assertThat(s.get(v, api(t.tenant(), "experiments/get-by-name?experiment_name=viewer-was-here")).status())
        .isEqualTo(404);

    // The control plane: a viewer manages nothing.
    assertError(s.get(v, "/api/atrium/v1/tenants/" + t.tenant() + "/members"), 403, "PERMISSION_DENIED");
    assertError(s.get(v, "/api/atrium/v1/tenants/" + t.tenant() + "/audit"), 403, "PERMISSION_DENIED");
    assertError(s.put(v, "/api/atrium/v1/tenants/" + t.tenant() + "/members/" + t.name("viewer"),
        Map.of("role", "owner")), 403, "PERMISSION_DENIED");
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void editorWritesTrackingDataButManagesNoOneElse(TestDatabases.Kind kind) {
    TestServer s = pool.get(kind);
    Team t = teams.computeIfAbsent(kind + "-edit", k -> team(s, "ed-" + kind.name().toLowerCase()));
    String e = t.editor();
    String tn = t.tenant();
    String exp = TestServer.expectOk(s.post(e, api(tn, "experiments/create"), Map.of("name", "uplift")))
        .json().path("experiment_id").asText();
    String run = Tracking.createRun(s, e, tn, exp, "two-model-uplift");
    Tracking.logTraining(s, e, tn, run, 12, 60);
    TestServer.expectOk(s.post(e, api(tn, "runs/set-tag"), Map.of("run_id", run, "key", "stage", "value", "shadow")));
    TestServer.expectOk(s.post(e, api(tn, "runs/update"), Map.of("run_id", run, "status", "FINISHED",
        "end_time", 1_718_000_900_000L)));
    TestServer.expectOk(s.post(e, api(tn, "experiments/set-experiment-tag"),
        Map.of("experiment_id", exp, "key", "reviewed", "value", "no")));
    assertThat(s.get(e, api(tn, "runs/get?run_id=" + run)).json().path("run").path("info").path("status").asText())
        .isEqualTo("FINISHED");

    String base = "/api/atrium/v1/tenants/" + tn;
    assertError(s.get(e, base + "/members"), 403, "PERMISSION_DENIED");
    assertError(s.put(e, base + "/members/" + t.name("viewer"), Map.of("role", "editor")), 403, "PERMISSION_DENIED");
    assertError(s.put(e, base + "/members/" + t.name("editor"), Map.of("role", "admin")), 403, "PERMISSION_DENIED");
    assertError(s.delete(e, base + "/members/" + t.name("viewer")), 403, "PERMISSION_DENIED");
    assertError(s.post(e, base + "/service-accounts", Map.of("name", tn + "-bot")), 403, "PERMISSION_DENIED");
    assertError(s.post(e, "/api/atrium/v1/users", Map.of("name", tn + "-friend", "tenant", tn, "role", "viewer")),
        403, "PERMISSION_DENIED");
    assertError(s.post(e, "/api/atrium/v1/principals/" + t.name("viewer") + "/tokens", Map.of("name", "steal")), 403,
        "PERMISSION_DENIED");
    assertError(s.get(e, "/api/atrium/v1/principals/" + t.name("viewer") + "/tokens"), 403, "PERMISSION_DENIED");
    assertError(s.post(e, "/api/atrium/v1/tenants", Map.of("name", tn + "-spinoff")), 403, "PERMISSION_DENIED");
    assertError(s.post(e, base + "/suspend", Map.of()), 403, "PERMISSION_DENIED");
    assertError(s.delete(e, base), 403, "PERMISSION_DENIED");
    assertError(s.get(e, base + "/audit"), 403, "PERMISSION_DENIED");
    // Another user's token: revoking it answers like a token that does not exist.
    long viewersToken = tokenIdOf(s, t.name("viewer"));
    TestServer.Response other = s.delete(e, "/api/atrium/v1/tokens/" + viewersToken);
    TestServer.Response none = s.delete(e, "/api/atrium/v1/tokens/987654321");
    assertError(other, 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(other.body().replace("" + viewersToken, "N")).isEqualTo(none.body().replace("987654321", "N"));
    assertThat(s.get(t.viewer(), "/api/atrium/v1/whoami").status()).as("still valid").isEqualTo(200);
    // Nothing changed: the roles are as they were.
    assertThat(roles(s, tn)).containsEntry(t.name("viewer"), "viewer").containsEntry(t.name("editor"), "editor")
        .doesNotContainKey(tn + "-bot").doesNotContainKey(tn + "-friend");
    // Their own tokens, editors do manage.
    TestServer.Response own = s.post(e, "/api/atrium/v1/principals/" + t.name("editor") + "/tokens",
        Map.of("name", "notebook", "expires_in_days", 7));
    assertThat(own.status()).isEqualTo(200);
    assertThat(s.get(own.json().path("token").path("token").asText(), "/api/atrium/v1/whoami").status()).isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void adminManagesMembersButNotOwnersAndNotUsersTokens(TestDatabases.Kind kind) {
    TestServer s = pool.get(kind);
    Team t = teams.computeIfAbsent(kind + "-adm", k -> team(s, "ad-" + kind.name().toLowerCase()));
    String a = t.admin();
    String tn = t.tenant();
    String base = "/api/atrium/v1/tenants/" + tn;

    assertThat(s.get(a, base + "/members").json().path("members").size()).isEqualTo(4);
    TestServer.expectOk(s.put(a, base + "/members/" + t.name("viewer"), Map.of("role", "editor")));
    TestServer.expectOk(s.put(a, base + "/members/" + t.name("viewer"), Map.of("role", "viewer")));
    TestServer.expectOk(s.post(a, "/api/atrium/v1/users", Map.of("name", tn + "-analyst", "tenant", tn,
        "role", "viewer")));
    TestServer.expectOk(s.put(a, base + "/members/" + tn + "-analyst", Map.of("role", "admin")));
    TestServer.expectOk(s.delete(a, base + "/members/" + tn + "-analyst"));

    assertError(s.put(a, base + "/members/" + t.name("editor"), Map.of("role", "owner")), 403, "PERMISSION_DENIED");
    assertError(s.put(a, base + "/members/" + t.name("admin"), Map.of("role", "owner")), 403, "PERMISSION_DENIED");
    assertError(s.put(a, base + "/members/" + t.name("owner"), Map.of("role", "viewer")), 403, "PERMISSION_DENIED");
    assertError(s.delete(a, base + "/members/" + t.name("owner")), 403, "PERMISSION_DENIED");
    assertError(s.post(a, "/api/atrium/v1/users", Map.of("name", tn + "-boss", "tenant", tn, "role", "owner")), 403,
        "PERMISSION_DENIED");
    assertError(s.post(a, "/api/atrium/v1/users", Map.of("name", tn + "-root", "tenant", tn, "role", "viewer",
        "platform_admin", true)), 403, "PERMISSION_DENIED");
    assertError(s.post(a, base + "/service-accounts", Map.of("name", tn + "-owner-bot", "role", "owner")), 403,
        "PERMISSION_DENIED");
    assertError(s.post(a, "/api/atrium/v1/tenants", Map.of("name", tn + "-two")), 403, "PERMISSION_DENIED");
    assertError(s.post(a, base + "/suspend", Map.of()), 403, "PERMISSION_DENIED");
    // A user's tokens belong to that user: not even their tenant admin mints or lists them.
    assertError(s.post(a, "/api/atrium/v1/principals/" + t.name("editor") + "/tokens", Map.of("name", "x")), 403,
        "PERMISSION_DENIED");
    assertError(s.get(a, "/api/atrium/v1/principals/" + t.name("editor") + "/tokens"), 403, "PERMISSION_DENIED");

    assertThat(roles(s, tn)).isEqualTo(Map.of(t.name("owner"), "owner", t.name("admin"), "admin",
        t.name("editor"), "editor", t.name("viewer"), "viewer"));
    assertThat(s.post(a, "/api/atrium/v1/users", Map.of("name", tn + "-boss", "tenant", tn, "role", "viewer"))
        .status()).as("the refused owner was not created half-way").isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void tenantAdminMintsTokensForItsServiceAccountsOnly(TestDatabases.Kind kind) {
    TestServer s = pool.get(kind);
    Team t = teams.computeIfAbsent(kind + "-sa", k -> team(s, "sa-" + kind.name().toLowerCase()));
    Team other = teams.computeIfAbsent(kind + "-sa2", k -> team(s, "sb-" + kind.name().toLowerCase()));
    String bot = t.tenant() + "-trainer";
    TestServer.expectOk(s.post(t.admin(), "/api/atrium/v1/tenants/" + t.tenant() + "/service-accounts",
        Map.of("name", bot, "role", "editor")));
    TestServer.Response minted = s.post(t.admin(), "/api/atrium/v1/principals/" + bot + "/tokens",
        Map.of("name", "nightly-retrain", "expires_in_days", 30));
    assertThat(minted.status()).as(minted.body()).isEqualTo(200);
    assertThat(minted.json().path("token").path("tenant").asText()).isEqualTo(t.tenant());
    String botToken = minted.json().path("token").path("token").asText();
    TestServer.expectOk(s.post(botToken, api(t.tenant(), "runs/log-metric"), Map.of("run_id", t.runId(),
        "key", "drift_psi", "value", 0.07, "timestamp", 1_718_100_000_000L, "step", 0)));
    assertThat(s.get(t.admin(), "/api/atrium/v1/principals/" + bot + "/tokens").json().path("tokens").size())
        .isEqualTo(1);

    // Another tenant's admin, and editors of the tenant itself, get "no such principal".
    for (String caller : List.of(other.admin(), other.owner(), t.editor(), t.viewer())) {
      TestServer.Response r = s.post(caller, "/api/atrium/v1/principals/" + bot + "/tokens", Map.of("name", "x"));
      TestServer.Response none =
          s.post(caller, "/api/atrium/v1/principals/" + t.tenant() + "-ghost/tokens", Map.of("name", "x"));
      assertError(r, 404, "RESOURCE_DOES_NOT_EXIST");
      assertThat(r.body()).isEqualTo(none.body().replace(t.tenant() + "-ghost", bot));
    }
    TestServer.Response revokeOther = s.delete(other.admin(),
        "/api/atrium/v1/tokens/" + minted.json().path("token").path("id").asLong());
    assertError(revokeOther, 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(s.get(botToken, api(t.tenant(), "runs/get?run_id=" + t.runId())).status()).isEqualTo(200);
    // The owning tenant's admin can revoke it.
    TestServer.expectOk(s.delete(t.admin(), "/api/atrium/v1/tokens/" + minted.json().path("token").path("id").asLong()));
    assertThat(s.get(botToken, api(t.tenant(), "runs/get?run_id=" + t.runId())).status()).isEqualTo(401);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void ownerGrantsOwnerAndTheLastOwnerStays(TestDatabases.Kind kind) {
    TestServer s = pool.get(kind);
    Team t = teams.computeIfAbsent(kind + "-own", k -> team(s, "ow-" + kind.name().toLowerCase()));
    String o = t.owner();
    String base = "/api/atrium/v1/tenants/" + t.tenant();

    // Alone, the owner can neither leave nor step down.
    assertError(s.delete(o, base + "/members/" + t.name("owner")), 400, "INVALID_STATE");
    assertError(s.put(o, base + "/members/" + t.name("owner"), Map.of("role", "admin")), 400, "INVALID_STATE");
    assertError(s.delete(s.adminToken(), base + "/members/" + t.name("owner")), 400, "INVALID_STATE");
    assertThat(roles(s, t.tenant())).containsEntry(t.name("owner"), "owner");

    TestServer.expectOk(s.put(o, base + "/members/" + t.name("admin"), Map.of("role", "owner")));
    assertThat(roles(s, t.tenant())).containsEntry(t.name("admin"), "owner");
    // Now the first owner may step down, and the second owner may not remove itself as the last one.
    TestServer.expectOk(s.put(o, base + "/members/" + t.name("owner"), Map.of("role", "admin")));
    assertError(s.delete(t.admin(), base + "/members/" + t.name("admin")), 400, "INVALID_STATE");
    assertThat(roles(s, t.tenant())).containsEntry(t.name("admin"), "owner").containsEntry(t.name("owner"), "admin");

    // Owners still do not create tenants or mint other users' tokens.
    assertError(s.post(t.admin(), "/api/atrium/v1/tenants", Map.of("name", t.tenant() + "-x")), 403,
        "PERMISSION_DENIED");
    assertError(s.post(t.admin(), "/api/atrium/v1/principals/" + t.name("editor") + "/tokens", Map.of("name", "x")),
        403, "PERMISSION_DENIED");
    // The platform admin does.
    assertThat(s.post(s.adminToken(), "/api/atrium/v1/principals/" + t.name("editor") + "/tokens",
        Map.of("name", "support-case-4711", "expires_in_days", 1)).status()).isEqualTo(200);
  }

  private static Map<String, String> roles(TestServer s, String tenant) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode m : TestServer.expectOk(s.get(s.adminToken(), "/api/atrium/v1/tenants/" + tenant + "/members"))
        .json().path("members")) {
      out.put(m.path("principal").asText(), m.path("role").asText());
    }
    return out;
  }

  private static long tokenIdOf(TestServer s, String principal) {
    return TestServer.expectOk(s.get(s.adminToken(), "/api/atrium/v1/principals/" + principal + "/tokens"))
        .json().path("tokens").get(0).path("id").asLong();
  }
}
