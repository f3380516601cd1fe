package io.atrium.http;

import static io.atrium.isolation.support.ErrorBodies.assertError;
import static io.atrium.isolation.support.Tracking.api;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.ServerPool;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every mutation and every denial lands in the audit log with actor, action, outcome, request id and
 * client address; tenant admins read their own tenant's entries only, platform admins read all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditTrailIT {
  record Fixture(TestServer s, String ada, String eddie, String vera, String gus, String gail, String exp,
      String run) {}

  private final ServerPool<Fixture> pool =
      new ServerPool<>(
          s -> {
            s.createTenant("acme");
            s.createTenant("globex");
            String ada = s.createUser("ada", "acme", "admin");
            String eddie = s.createUser("eddie", "acme", "editor");
            String vera = s.createUser("vera", "acme", "viewer");
            String gus = s.createUser("gus", "globex", "admin");
            String gail = s.createUser("gail", "globex", "editor");
            String exp = Tracking.createExperiment(s, eddie, "acme", "churn");
            String run = Tracking.createRun(s, eddie, "acme", exp, "xgb-baseline");
            Tracking.logTraining(s, eddie, "acme", run, 21, 50);
            Tracking.createExperiment(s, gail, "globex", "churn");
            return new Fixture(s, ada, eddie, vera, gus, gail, exp, run);
          });

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  private static String rid(String what) {
    return "it-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static List<JsonNode> entries(TestServer s, String token, String path) {
    TestServer.Response r = TestServer.expectOk(s.get(token, path + "?limit=1000"));
    List<JsonNode> out = new ArrayList<>();
    r.json().path("entries").forEach(out::add);
    return out;
  }

  private static Optional<JsonNode> byRequestId(List<JsonNode> entries, String rid) {
    return entries.stream().filter(e -> e.path("request_id").asText().equals(rid)).findFirst();
  }

  private static void assertEntry(List<JsonNode> entries, String rid, String actor, String action, String outcome,
      String tenant) {
    JsonNode e = byRequestId(entries, rid).orElseThrow(() -> new AssertionError("no audit entry " + rid));
    assertThat(e.path("actor").asText()).as(rid).isEqualTo(actor);
    assertThat(e.path("action").asText()).as(rid).isEqualTo(action);
    assertThat(e.path("outcome").asText()).as(rid).isEqualTo(outcome);
    assertThat(e.path("client_address").asText()).as(rid).isIn("127.0.0.1", "0:0:0:0:0:0:0:1", "[0:0:0:0:0:0:0:1]");
    if (tenant == null) {
      assertThat(e.has("tenant")).as(rid + " " + e).isFalse();
    } else {
      assertThat(e.path("tenant").asText()).as(rid).isEqualTo(tenant);
    }
    assertThat(e.path("time").asLong()).isGreaterThan(1_700_000_000_000L);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void mutationsAndDenialsAreRecordedWithWhoWhatOutcomeAndRequestId(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String created = rid("create");
    String viewerWrite = rid("viewer-write");
    String invalid = rid("invalid");
    String missingRun = rid("missing-run");
    String anonymous = rid("anon");
    String stranger = rid("stranger");
    String memberChange = rid("member");
    String auditDenied = rid("audit-denied");
    String tenantDenied = rid("tenant-denied");
    String read = rid("read");

    assertThat(Call.post(s, api("acme", "experiments/create")).bearer(f.eddie()).requestId(created)
        .json(Map.of("name", "retention-q3")).send().headers().firstValue("X-Request-Id")).hasValue(created);
    assertError(Call.post(s, api("acme", "runs/set-tag")).bearer(f.vera()).requestId(viewerWrite)
        .json(Map.of("run_id", f.run(), "key", "stage", "value", "production")).send(), 403, "PERMISSION_DENIED");
    assertError(Call.post(s, api("acme", "runs/log-metric")).bearer(f.eddie()).requestId(invalid)
        .json(Map.of("run_id", f.run(), "key", "val_auc", "value", 0.9)).send(), 400, "INVALID_PARAMETER_VALUE");
    assertError(Call.post(s, api("acme", "runs/delete")).bearer(f.eddie()).requestId(missingRun)
        .json(Map.of("run_id", "0123456789abcdef0123456789abcdef")).send(), 404, "RESOURCE_DOES_NOT_EXIST");
    assertError(Call.post(s, api("acme", "runs/delete")).requestId(anonymous)
        .json(Map.of("run_id", f.run())).send(), 401, "UNAUTHENTICATED");
    assertError(Call.post(s, api("acme", "runs/delete")).bearer(f.gail()).requestId(stranger)
        .json(Map.of("run_id", f.run())).send(), 404, "RESOURCE_DOES_NOT_EXIST");
    TestServer.expectOk(Call.of(s, "PUT", "/api/atrium/v1/tenants/acme/members/vera").bearer(f.ada())
        .requestId(memberChange).json(Map.of("role", "viewer")).send());
    assertError(Call.get(s, "/api/atrium/v1/tenants/acme/audit").bearer(f.vera()).requestId(auditDenied).send(), 403,
        "PERMISSION_DENIED");
    assertError(Call.post(s, "/api/atrium/v1/tenants").bearer(f.ada()).requestId(tenantDenied)
        .json(Map.of("name", "acme-two")).send(), 403, "PERMISSION_DENIED");
    TestServer.expectOk(Call.get(s, api("acme", "runs/get?run_id=" + f.run())).bearer(f.eddie()).requestId(read)
        .send());

    List<JsonNode> acme = entries(s, f.ada(), "/api/atrium/v1/tenants/acme/audit");
    List<JsonNode> all = entries(s, s.adminToken(), "/api/atrium/v1/audit");
    String p = "/api/2.0/mlflow/";
    assertEntry(acme, created, "eddie", "POST " + p + "experiments/create", "ok", "acme");
    assertEntry(acme, viewerWrite, "vera", "POST " + p + "runs/set-tag", "denied", "acme");
    assertEntry(acme, invalid, "eddie", "POST " + p + "runs/log-metric", "invalid", "acme");
    assertEntry(acme, missingRun, "eddie", "POST " + p + "runs/delete", "not_found", "acme");
    assertEntry(acme, memberChange, "ada", "PUT /api/atrium/v1/tenants/{name}/members/{principal}", "ok", "acme");
    assertEntry(acme, auditDenied, "vera", "GET /api/atrium/v1/tenants/{name}/audit", "denied", "acme");
    assertThat(byRequestId(acme, created).orElseThrow().path("resource").asText()).contains("retention-q3");
    assertThat(byRequestId(acme, viewerWrite).orElseThrow().path("resource").asText()).contains(f.run());

    assertEntry(all, created, "eddie", "POST " + p + "experiments/create", "ok", "acme");
    assertEntry(all, anonymous, "anonymous", "POST " + p + "runs/delete", "unauthenticated", null);
    assertEntry(all, stranger, "gail", "POST " + p + "runs/delete", "not_found", null);
    assertEntry(all, tenantDenied, "ada", "POST /api/atrium/v1/tenants", "denied", null);
    assertThat(byRequestId(all, read)).as("plain reads are not audited").isEmpty();

    // Tenant admins see their tenant only: no anonymous probes, no other tenant's people.
    assertThat(acme).allSatisfy(e -> assertThat(e.path("tenant").asText()).isEqualTo("acme"));
    assertThat(byRequestId(acme, anonymous)).isEmpty();
    assertThat(byRequestId(acme, stranger)).isEmpty();
    assertThat(byRequestId(acme, tenantDenied)).isEmpty();
    List<JsonNode> globex = entries(s, f.gus(), "/api/atrium/v1/tenants/globex/audit");
    assertThat(globex).isNotEmpty().allSatisfy(e -> assertThat(e.path("tenant").asText()).isEqualTo("globex"));
    for (String r : List.of(created, viewerWrite, invalid, missingRun, memberChange, auditDenied)) {
      assertThat(byRequestId(globex, r)).as(r).isEmpty();
    }
    assertThat(globex.toString()).doesNotContain("eddie").doesNotContain("\"vera\"").doesNotContain(f.run());

    // The chain verifies.
    JsonNode verify = TestServer.expectOk(s.get(s.adminToken(), "/api/atrium/v1/audit/verify")).json();
    assertThat(verify.path("intact").asBoolean()).as(verify.toString()).isTrue();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void onlyAdminsReadTheirTenantsLogAndOnlyPlatformAdminsReadAll(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    assertError(s.get(f.vera(), "/api/atrium/v1/tenants/acme/audit"), 403, "PERMISSION_DENIED");
    assertError(s.get(f.eddie(), "/api/atrium/v1/tenants/acme/audit"), 403, "PERMISSION_DENIED");
    for (String notPlatform : List.of(f.vera(), f.eddie(), f.ada(), f.gus())) {
      assertError(s.get(notPlatform, "/api/atrium/v1/audit"), 403, "PERMISSION_DENIED");
      assertError(s.get(notPlatform, "/api/atrium/v1/audit/verify"), 403, "PERMISSION_DENIED");
    }
    // Another tenant's log answers like a tenant that does not exist.
    TestServer.Response other = s.get(f.gus(), "/api/atrium/v1/tenants/acme/audit");
    TestServer.Response none = s.get(f.gus(), "/api/atrium/v1/tenants/nosuchco/audit");
    assertError(other, 404, "RESOURCE_DOES_NOT_EXIST");
    assertThat(other.body()).isEqualTo(none.body().replace("nosuchco", "acme"));
    assertThat(s.get(f.ada(), "/api/atrium/v1/tenants/acme/audit?limit=5").json().path("entries").size())
        .isEqualTo(5);
    assertThat(s.get(s.adminToken(), "/api/atrium/v1/tenants/globex/audit").status()).isEqualTo(200);
  }
}
