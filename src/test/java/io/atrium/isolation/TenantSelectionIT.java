package io.atrium.isolation;

import static io.atrium.isolation.support.ErrorBodies.assertError;
import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.ErrorBodies;
import io.atrium.isolation.support.ServerPool;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How a request picks its tenant (path prefix, workspace header, home tenant) and that every tenant
 * the caller may not enter answers exactly like one that does not exist.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantSelectionIT {
  private static final String GET_CHURN = "experiments/get-by-name?experiment_name=churn";

  record Fixture(TestServer s, String alice, String bob, String ada) {}

  private final ServerPool<Fixture> pool =
      new ServerPool<>(
          s -> {
            s.createTenant("acme");
            s.createTenant("globex");
            String alice = s.createUser("alice", "acme", "editor");
            String bob = s.createUser("bob", "globex", "editor");
            String ada = s.createUser("ada", "acme", "admin");
            // alice also reads globex; her home tenant stays acme, where she was created.
            TestServer.expectOk(
                s.put(s.adminToken(), "/api/atrium/v1/tenants/globex/members/alice", Map.of("role", "viewer")));
            Tracking.createExperiment(s, alice, "acme", "churn");
            Tracking.createExperiment(s, bob, "globex", "churn");
            return new Fixture(s, alice, bob, ada);
          });

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  private static String teamOf(TestServer.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    for (JsonNode t : r.json().path("experiment").path("tags")) {
      if (t.path("key").asText().equals("team")) {
        return t.path("value").asText();
      }
    }
    throw new AssertionError("no team tag: " + r.body());
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void pathPrefixThenWorkspaceHeaderThenHomeTenant(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String plain = "/api/2.0/mlflow/" + GET_CHURN;
    assertThat(teamOf(Call.get(s, api("acme", GET_CHURN)).bearer(f.alice()).send())).isEqualTo("acme-ml");
    assertThat(teamOf(Call.get(s, api("globex", GET_CHURN)).bearer(f.alice()).send())).isEqualTo("globex-ml");
    assertThat(teamOf(Call.get(s, "/t/globex/ajax-api/2.0/mlflow/" + GET_CHURN).bearer(f.alice()).send()))
        .isEqualTo("globex-ml");
    assertThat(teamOf(Call.get(s, plain).bearer(f.alice()).header("X-MLFLOW-WORKSPACE", "globex").send()))
        .isEqualTo("globex-ml");
    assertThat(teamOf(Call.get(s, plain).bearer(f.alice()).send())).as("home tenant").isEqualTo("acme-ml");
    assertThat(teamOf(Call.get(s, plain).bearer(f.bob()).send())).as("home tenant").isEqualTo("globex-ml");
    assertThat(teamOf(Call.get(s, plain).bearer(f.alice()).header("X-MLFLOW-WORKSPACE", "  ").send()))
        .as("a blank header falls back to the home tenant").isEqualTo("acme-ml");
    // The path prefix wins over the header, both ways round.
    assertThat(teamOf(Call.get(s, api("acme", GET_CHURN)).bearer(f.alice()).header("X-MLFLOW-WORKSPACE", "globex")
        .send())).isEqualTo("acme-ml");
    assertThat(teamOf(Call.get(s, api("globex", GET_CHURN)).bearer(f.alice()).header("X-MLFLOW-WORKSPACE", "acme")
        .send())).isEqualTo("globex-ml");
    // ... even when the header names a tenant the caller may not enter.
    assertThat(teamOf(Call.get(s, api("globex", GET_CHURN)).bearer(f.bob()).header("X-MLFLOW-WORKSPACE", "acme")
        .send())).isEqualTo("globex-ml");
    // A write lands where the path says.
    TestServer.expectOk(TestServer.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(s.url() + api("acme", "experiments/create")))
        .header("Authorization", "Bearer " + f.alice()).header("X-MLFLOW-WORKSPACE", "globex")
        .header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\":\"retention-uplift\"}")).build()));
    assertThat(s.get(f.alice(), api("acme", "experiments/get-by-name?experiment_name=retention-uplift")).status())
        .isEqualTo(200);
    assertThat(s.get(f.bob(), api("globex", "experiments/get-by-name?experiment_name=retention-uplift")).status())
        .isEqualTo(404);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aTenantYouAreNotInAnswersLikeOneThatDoesNotExist(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    // bob is in globex only; "nosuchco" never existed. Same length is not needed: the name is substituted.
    for (String[] route : List.of(
        new String[] {"GET", "/t/%s/api/2.0/mlflow/" + GET_CHURN},
        new String[] {"GET", "/t/%s/api/2.0/mlflow/experiments/get?experiment_id=0"},
        new String[] {"POST", "/t/%s/api/2.0/mlflow/experiments/create"},
        new String[] {"POST", "/t/%s/api/2.0/mlflow/runs/search"},
        new String[] {"GET", "/t/%s/ajax-api/2.0/mlflow/metrics/get-history?run_id=abc&metric_key=loss"},
        new String[] {"GET", "/api/atrium/v1/tenants/%s"},
        new String[] {"GET", "/api/atrium/v1/tenants/%s/members"},
        new String[] {"PUT", "/api/atrium/v1/tenants/%s/members/bob"},
        new String[] {"GET", "/api/atrium/v1/tenants/%s/audit"},
        new String[] {"POST", "/api/atrium/v1/tenants/%s/service-accounts"},
        new String[] {"GET", "/api/3.0/mlflow/workspaces/%s"})) {
      TestServer.Response real = request(s, f.bob(), route[0], route[1].formatted("acme"));
      TestServer.Response none = request(s, f.bob(), route[0], route[1].formatted("nosuchco"));
      assertError(real, 404, "RESOURCE_DOES_NOT_EXIST");
      assertThat(real.body()).as(route[1]).isEqualTo(none.body().replace("nosuchco", "acme"));
    }
    // The same by workspace header.
    String plain = "/api/2.0/mlflow/" + GET_CHURN;
    TestServer.Response real = Call.get(s, plain).bearer(f.bob()).header("X-MLFLOW-WORKSPACE", "acme").send();
    TestServer.Response none = Call.get(s, plain).bearer(f.bob()).header("X-MLFLOW-WORKSPACE", "nosuchco").send();
    assertError(real, 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(real.body()).isEqualTo(none.body().replace("nosuchco", "acme"));
    // And the listing does not show it.
    JsonNode workspaces = s.get(f.bob(), "/api/3.0/mlflow/workspaces").json().path("workspaces");
    assertThat(workspaces.toString()).contains("globex").doesNotContain("acme");
    JsonNode tenants = s.get(f.bob(), "/api/atrium/v1/tenants").json().path("tenants");
    assertThat(tenants.toString()).contains("globex").doesNotContain("acme");
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void caseVariantsAndOddNamesAreNotFound(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    // alice is a member of acme and globex: none of these may reach either, nor fail any other way.
    Map<String, String> answers = new java.util.TreeMap<>();
    List<String> names = List.of("ACME", "Acme", "acmE", "a..b", "acme.", ".acme", "-acme", "acme-", "acme%20",
        "%20acme", "acme%2Fglobex", "acme%2fglobex", "acme%252F..", "%C3%A1cme", "acme%00", "acme;globex",
        "acme%3Bglobex", "a".repeat(64), "x".repeat(300), "globex,acme", "*", "%2A", "..%2F..", "acme%5C..",
        "%2E%2E");
    for (String name : names) {
      TestServer.Response r = Call.get(s, "/t/" + name + "/api/2.0/mlflow/" + GET_CHURN).bearer(f.alice()).send();
      ErrorBodies.assertClean(r);
      answers.put(name, r.status() + " " + r.json().path("error_code").asText());
      if (r.status() == 404) {
        String msg = assertError(r, 404, "RESOURCE_DOES_NOT_EXIST");
        assertThat(msg).as(name).matches("Tenant '[A-Za-z0-9._?-]*' does not exist");
      }
      String header = java.net.URLDecoder.decode(name.replace("%00", "?"), java.nio.charset.StandardCharsets.UTF_8)
          .replaceAll("[^\\x21-\\x7e]", "?");
      TestServer.Response h =
          Call.get(s, "/api/2.0/mlflow/" + GET_CHURN).bearer(f.alice()).header("X-MLFLOW-WORKSPACE", header).send();
      assertError(h, 404, "RESOURCE_DOES_NOT_EXIST");
    }
    Map<String, String> expected = new java.util.TreeMap<>();
    names.forEach(n -> expected.put(n, "404 RESOURCE_DOES_NOT_EXIST"));
    // Jetty refuses a NUL in the URI before any routing, whatever the tenant: a JSON 400, the same for all.
    expected.put("acme%00", "400 BAD_REQUEST");
    assertThat(answers).isEqualTo(expected);
    TestServer.Response nul = Call.get(s, "/t/nosuchco%00/api/2.0/mlflow/" + GET_CHURN).bearer(f.alice()).send();
    assertThat(nul.body()).isEqualTo(
        Call.get(s, "/t/acme%00/api/2.0/mlflow/" + GET_CHURN).bearer(f.alice()).send().body());
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aSuspendedTenantRefusesItsMembersHidesFromOthersAndComesBack(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    s.createTenant("initech");
    String carol = s.createUser("carol-" + kind, "initech", "editor");
    String expId = Tracking.createExperiment(s, carol, "initech", "tps-report-forecast");
    String runId = Tracking.createRun(s, carol, "initech", expId, "baseline");
    Tracking.logTraining(s, carol, "initech", runId, 7, 120);
    String runPath = api("initech", "runs/get?run_id=" + runId);
    JsonNode before = TestServer.expectOk(s.get(carol, runPath)).json();

    TestServer.expectOk(s.post(s.adminToken(), "/api/atrium/v1/tenants/initech/suspend", Map.of()));
    assertError(s.get(carol, runPath), 403, "PERMISSION_DENIED");
    assertError(s.post(carol, api("initech", "runs/log-metric"), Tracking.metric("val_auc", 0.9, 500)), 403,
        "PERMISSION_DENIED");
    assertError(s.get(carol, "/api/2.0/mlflow/runs/get?run_id=" + runId), 403, "PERMISSION_DENIED");
    // A non-member (bob) learns nothing: suspended looks exactly like absent.
    TestServer.Response stranger = s.get(f.bob(), runPath);
    TestServer.Response absent = s.get(f.bob(), api("nosuchco", "runs/get?run_id=" + runId));
    assertError(stranger, 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(stranger.body()).isEqualTo(absent.body().replace("nosuchco", "initech"));

    TestServer.expectOk(s.post(s.adminToken(), "/api/atrium/v1/tenants/initech/reactivate", Map.of()));
    JsonNode after = TestServer.expectOk(s.get(carol, runPath)).json();
    assertThat(after).as("suspension keeps the data").isEqualTo(before);
    assertThat(s.post(carol, api("initech", "runs/log-metric"),
        Map.of("run_id", runId, "key", "val_auc", "value", 0.91, "timestamp", 1_718_000_500_000L, "step", 500))
        .status()).isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void serviceAccountTokensAreBoundToTheirTenant(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String sa = "trainer-" + kind.name().toLowerCase();
    TestServer.expectOk(s.post(f.ada(), "/api/atrium/v1/tenants/acme/service-accounts",
        Map.of("name", sa, "role", "editor")));
    TestServer.Response minted =
        TestServer.expectOk(s.post(f.ada(), "/api/atrium/v1/principals/" + sa + "/tokens", Map.of("name", "ci")));
    assertThat(minted.json().path("token").path("tenant").asText()).isEqualTo("acme");
    String token = minted.json().path("token").path("token").asText();

    assertThat(teamOf(s.get(token, api("acme", GET_CHURN)))).isEqualTo("acme-ml");
    assertThat(teamOf(s.get(token, "/api/2.0/mlflow/" + GET_CHURN))).as("home tenant").isEqualTo("acme-ml");

    // A service account cannot even be made a member elsewhere; its acme-bound token cannot act in globex.
    assertError(s.put(s.adminToken(), "/api/atrium/v1/tenants/globex/members/" + sa, Map.of("role", "editor")), 400,
        "INVALID_PARAMETER_VALUE");
    for (String[] probe : List.of(
        new String[] {"GET", "/t/%s/api/2.0/mlflow/" + GET_CHURN},
        new String[] {"POST", "/t/%s/api/2.0/mlflow/experiments/create"},
        new String[] {"GET", "/api/atrium/v1/tenants/%s/members"},
        new String[] {"GET", "/api/atrium/v1/tenants/%s/audit"})) {
      TestServer.Response other = request(s, token, probe[0], probe[1].formatted("globex"));
      TestServer.Response none = request(s, token, probe[0], probe[1].formatted("nosuchco"));
      assertError(other, 404, "RESOURCE_DOES_NOT_EXIST");
      assertThat(other.body()).as(probe[1]).isEqualTo(none.body().replace("nosuchco", "globex"));
    }
    TestServer.Response byHeader =
        Call.get(s, "/api/2.0/mlflow/" + GET_CHURN).bearer(token).header("X-MLFLOW-WORKSPACE", "globex").send();
    assertError(byHeader, 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(s.get(f.bob(), api("globex", "experiments/search")).json().toString())
        .doesNotContain("service-account-probe");
  }

  private static TestServer.Response request(TestServer s, String token, String method, String path) {
    return switch (method) {
      case "GET" -> s.get(token, path);
      case "PUT" -> s.put(token, path, Map.of("role", "viewer"));
      default -> s.post(token, path, Map.of("name", "service-account-probe"));
    };
  }
}
