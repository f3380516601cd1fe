package io.atrium.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ServerSmokeIT {
  static Iterable<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void startsMigratesAndServesBothTenantsTheirOwnDefaultExperiment(TestDatabases.Kind kind) {
    try (TestServer s = TestServer.start(kind)) {
      assertThat(s.get(null, "/health").status()).isEqualTo(200);
      assertThat(s.get(null, "/ready").json().path("status").asText()).isEqualTo("ready");
      s.createTenant("acme");
      s.createTenant("globex");
      String alice = s.createUser("alice", "acme", "editor");
      String bob = s.createUser("bob", "globex", "editor");

      var created = s.post(alice, "/t/acme/api/2.0/mlflow/experiments/create", Map.of("name", "churn"));
      assertThat(created.status()).isEqualTo(200);
      var other = s.post(bob, "/t/globex/api/2.0/mlflow/experiments/create", Map.of("name", "churn"));
      assertThat(other.status()).as("names are unique per tenant only").isEqualTo(200);

      var aliceDefault = s.get(alice, "/t/acme/api/2.0/mlflow/experiments/get?experiment_id=0").json();
      assertThat(aliceDefault.path("experiment").path("name").asText()).isEqualTo("Default");
      var bobIntoAcme = s.get(bob, "/t/acme/api/2.0/mlflow/experiments/get?experiment_id=0");
      var nowhere = s.get(bob, "/t/no-such-tenant/api/2.0/mlflow/experiments/get?experiment_id=0");
      assertThat(bobIntoAcme.status()).isEqualTo(404);
      assertThat(bobIntoAcme.body()).isEqualTo(nowhere.body().replace("no-such-tenant", "acme"));
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void theDefaultWorkspaceIsTheHomeTenantAndReservedNamesCannotBeTaken(TestDatabases.Kind kind) {
    try (TestServer s = TestServer.start(kind)) {
      for (String reserved : java.util.List.of("default", "workspaces", "api", "t")) {
        var r = s.post(s.adminToken(), "/api/atrium/v1/tenants", Map.of("name", reserved));
        assertThat(r.status()).as(reserved).isEqualTo(400);
        assertThat(r.body()).contains("reserved");
      }
      s.createTenant("acme");
      String alice = s.createUser("alice", "acme", "editor");
      s.post(alice, "/t/acme/api/2.0/mlflow/experiments/create", Map.of("name", "churn"));
      var viaDefault = TestServer.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create(s.url() + "/api/2.0/mlflow/experiments/get-by-name?experiment_name=churn"))
          .header("Authorization", "Bearer " + alice).header("X-MLFLOW-WORKSPACE", "default").build());
      assertThat(viaDefault.status()).isEqualTo(200);
      assertThat(viaDefault.json().path("experiment").path("name").asText()).isEqualTo("churn");
    }
  }
}
