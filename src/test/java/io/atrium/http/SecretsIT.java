package io.atrium.http;

import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.ErrorBodies;
import io.atrium.isolation.support.ServerPool;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A token's secret is shown once, in the response that creates it, and nowhere else: not in
 * listings, not in the audit log, not in any error message, even one caused by sending the token
 * where something else belonged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecretsIT {
  private final ServerPool<TestServer> pool = ServerPool.plain();

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void tokensAppearOnlyInTheirCreateResponse(TestDatabases.Kind kind) {
    TestServer s = pool.get(kind);
    s.createTenant("acme");
    String ada = s.createUser("ada", "acme", "admin");
    TestServer.Response created = TestServer.expectOk(
        s.post(s.adminToken(), "/api/atrium/v1/users", Map.of("name", "alice", "tenant", "acme", "role", "editor")));
    assertThat(created.body()).doesNotContain("atr_");
    TestServer.Response minted = TestServer.expectOk(
        s.post(ada, "/api/atrium/v1/principals/ada/tokens", Map.of("name", "laptop", "expires_in_days", 30)));
    String token = minted.json().path("token").path("token").asText();
    assertThat(token).startsWith("atr_").hasSize(72);
    String secret = token.substring(29);
    long id = minted.json().path("token").path("id").asLong();
    TestServer.expectOk(s.post(ada, "/api/atrium/v1/tenants/acme/service-accounts", Map.of("name", "acme-ci")));
    String bot = TestServer.expectOk(s.post(ada, "/api/atrium/v1/principals/acme-ci/tokens", Map.of("name", "ci")))
        .json().path("token").path("token").asText();
    String exp = Tracking.createExperiment(s, token, "acme", "churn");
    Tracking.createRun(s, bot, "acme", exp, "nightly");

    List<TestServer.Response> seen = new ArrayList<>();
    // Ordinary answers.
    seen.add(s.get(token, "/api/atrium/v1/whoami"));
    seen.add(s.get(ada, "/api/atrium/v1/principals/ada/tokens"));
    seen.add(s.get(s.adminToken(), "/api/atrium/v1/principals/ada/tokens"));
    seen.add(s.get(ada, "/api/atrium/v1/principals/acme-ci/tokens"));
    seen.add(s.get(ada, "/api/atrium/v1/tenants/acme/members"));
    seen.add(s.get(s.adminToken(), "/api/atrium/v1/tenants"));
    seen.add(s.get(token, "/api/3.0/mlflow/workspaces"));
    seen.add(s.post(token, api("acme", "runs/search"), Map.of("experiment_ids", List.of(exp))));
    seen.add(s.get(token, api("acme", "experiments/get?experiment_id=" + exp)));
    // Errors where the token is sent where it does not belong.
    seen.add(Call.get(s, "/api/atrium/v1/whoami").basic("bob", token).send());
    seen.add(Call.get(s, "/api/atrium/v1/whoami").basic(token, token).send());
    seen.add(Call.get(s, "/api/atrium/v1/whoami").bearer(token + "x").send());
    seen.add(Call.get(s, "/api/atrium/v1/whoami").bearer(token).bearer(token).send());
    seen.add(Call.get(s, "/api/atrium/v1/whoami").header("Authorization", "Token " + token).send());
    seen.add(s.delete(ada, "/api/atrium/v1/tokens/" + token));
    seen.add(s.get(ada, "/api/atrium/v1/principals/" + token + "/tokens"));
    seen.add(s.get(ada, "/api/atrium/v1/tenants/" + token));
    seen.add(s.get(ada, "/t/" + token + "/api/2.0/mlflow/experiments/get?experiment_id=0"));
    seen.add(Call.get(s, "/api/2.0/mlflow/experiments/get?experiment_id=0").bearer(ada)
        .header("X-MLFLOW-WORKSPACE", token).send());
    seen.add(s.get(token, api("acme", "experiments/get?experiment_id=" + token)));
    seen.add(s.get(token, api("acme", "experiments/get-by-name?experiment_name=" + token)));
    seen.add(s.get(token, api("acme", "runs/get?run_id=" + token)));
    seen.add(s.post(token, api("acme", "runs/log-batch"), Map.of("run_id", token)));
    seen.add(s.post(token, api("acme", "runs/search"), Map.of("experiment_ids", List.of(exp),
        "filter", "params.token = '" + token + "' AND")));
    seen.add(s.post(token, "/api/atrium/v1/principals/ada/tokens", Map.of("name", token + "x".repeat(100))));
    seen.add(s.get(token, "/api/2.0/mlflow/" + token));
    // Revoked, the token's own answers say nothing more.
    TestServer.expectOk(s.delete(ada, "/api/atrium/v1/tokens/" + id));
    seen.add(s.get(token, "/api/atrium/v1/whoami"));
    seen.add(s.get(ada, "/api/atrium/v1/principals/ada/tokens"));
    // The audit trail, which has seen all of the above.
    seen.add(s.get(s.adminToken(), "/api/atrium/v1/audit?limit=1000"));
    seen.add(s.get(ada, "/api/atrium/v1/tenants/acme/audit?limit=1000"));

    for (TestServer.Response r : seen) {
      assertThat(r.body()).as(r.status() + " " + r.body()).doesNotContain(secret).doesNotContain(bot.substring(29));
      assertThat(r.headers().map().toString()).doesNotContain(secret);
      if (r.status() >= 400) {
        ErrorBodies.assertClean(r);
      }
    }
    assertThat(seen.stream().filter(r -> r.status() >= 400).count()).isGreaterThan(15);
  }
}
