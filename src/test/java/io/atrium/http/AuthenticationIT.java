package io.atrium.http;

import static io.atrium.isolation.support.ErrorBodies.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.identity.TokenCodec;
import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.ServerPool;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way of not being authenticated gets one and the same 401, byte for byte, with a
 * WWW-Authenticate challenge: an attacker learns nothing about which part of a credential was wrong,
 * whether a public id exists, or whether a token was revoked or expired.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthenticationIT {
  record Fixture(TestServer s, String alice, String bob, String experimentId) {}

  private final ServerPool<Fixture> pool =
      new ServerPool<>(
          s -> {
            s.createTenant("acme");
            String alice = s.createUser("alice", "acme", "editor");
            String bob = s.createUser("bob", "acme", "viewer");
            String exp = Tracking.createExperiment(s, alice, "acme", "churn");
            return new Fixture(s, alice, bob, exp);
          });

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  /** Paths of each scope an unauthenticated caller may knock on; a tenant that does not exist too. */
  private static final List<String> PATHS =
      List.of(
          "/t/acme/api/2.0/mlflow/experiments/get-by-name?experiment_name=churn",
          "/t/no-such-tenant/api/2.0/mlflow/experiments/get?experiment_id=0",
          "/api/2.0/mlflow/experiments/get?experiment_id=0",
          "/api/atrium/v1/whoami",
          "/api/atrium/v1/tenants/acme/members");

  @ParameterizedTest
  @MethodSource("kinds")
  void everyFailureGetsTheSame401ByteForByte(TestDatabases.Kind kind) throws SQLException {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String revoked = mintAndRevoke(s, "alice");
    String expired = mintAndExpire(s, "alice");
    String realPublicIdWrongSecret = f.alice().substring(0, 29) + TokenCodec.mint().token().substring(29);
    assertThat(realPublicIdWrongSecret).hasSize(f.alice().length()).isNotEqualTo(f.alice());

    Map<String, Function<Call, Call>> failures = new LinkedHashMap<>();
    failures.put("no Authorization header", c -> c);
    failures.put("empty header", c -> c.header("Authorization", ""));
    failures.put("scheme only", c -> c.header("Authorization", "Bearer"));
    failures.put("unknown scheme", c -> c.header("Authorization", "Token " + f.alice()));
    failures.put("not a token", c -> c.bearer("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"));
    failures.put("token with a trailing byte", c -> c.bearer(f.alice() + "x"));
    failures.put("token truncated", c -> c.bearer(f.alice().substring(0, 60)));
    failures.put("basic, not base64", c -> c.header("Authorization", "Basic !!!not-base64!!!"));
    failures.put("basic, no colon", c -> c.header("Authorization", "Basic YWxpY2U="));
    failures.put("well-formed unknown token", c -> c.bearer(TokenCodec.mint().token()));
    failures.put("real public id, wrong secret", c -> c.bearer(realPublicIdWrongSecret));
    failures.put("revoked token", c -> c.bearer(revoked));
    failures.put("revoked token via basic", c -> c.basic("alice", revoked));
    failures.put("expired token", c -> c.bearer(expired));
    failures.put("basic with another user's name", c -> c.basic("bob", f.alice()));
    failures.put("basic with an unknown user name", c -> c.basic("mallory", f.alice()));
    failures.put("basic with the token as user name", c -> c.basic(f.alice(), "x"));
    failures.put("two Authorization headers, both valid", c -> c.bearer(f.alice()).bearer(f.alice()));
    failures.put("two Authorization headers, valid and invalid", c -> c.bearer(f.alice()).bearer("garbage"));
    failures.put("bearer and basic", c -> c.bearer(f.bob()).basic("alice", f.alice()));

    String reference = null;
    for (String path : PATHS) {
      for (var e : failures.entrySet()) {
        TestServer.Response r = e.getValue().apply(Call.get(s, path)).send();
        assertError(r, 401, "UNAUTHENTICATED");
        assertThat(r.headers().firstValue("WWW-Authenticate")).as(e.getKey()).hasValueSatisfying(
            v -> assertThat(v).startsWith("Bearer"));
        if (reference == null) {
          reference = r.body();
        }
        assertThat(r.body()).as("%s on %s", e.getKey(), path).isEqualTo(reference);
        assertThat(r.body()).doesNotContain(f.alice()).doesNotContain(f.alice().substring(29));
      }
    }
    // Writes too: nothing is created by an unauthenticated caller.
    for (var e : failures.entrySet()) {
      TestServer.Response r = e.getValue().apply(Call.post(s, Tracking.api("acme", "experiments/create")))
          .json(Map.of("name", "ghost-" + e.getKey().hashCode())).send();
      assertThat(r.status()).as(e.getKey()).isEqualTo(401);
      assertThat(r.body()).isEqualTo(reference);
    }
    assertThat(s.post(f.alice(), Tracking.api("acme", "experiments/search"), Map.of("filter", "name LIKE 'ghost-%'"))
        .json().path("experiments").size()).isZero();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void bearerAndBasicWithTheRightUserBothAuthenticate(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    String path = Tracking.api("acme", "experiments/get?experiment_id=" + f.experimentId());
    TestServer.Response bearer = Call.get(s, path).bearer(f.alice()).send();
    TestServer.Response basic = Call.get(s, path).basic("alice", f.alice()).send();
    TestServer.Response lowerCaseScheme = Call.get(s, path).header("Authorization", "bearer " + f.alice()).send();
    assertThat(bearer.status()).isEqualTo(200);
    assertThat(basic.status()).isEqualTo(200);
    assertThat(lowerCaseScheme.status()).isEqualTo(200);
    assertThat(basic.json()).isEqualTo(bearer.json());
    assertThat(bearer.json().path("experiment").path("name").asText()).isEqualTo("churn");

    TestServer.Response whoami = Call.get(s, "/api/atrium/v1/whoami").basic("alice", f.alice()).send();
    assertThat(whoami.status()).isEqualTo(200);
    assertThat(whoami.json().path("principal").path("name").asText()).isEqualTo("alice");
    assertThat(whoami.body()).doesNotContain(f.alice());
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void revokingATokenEndsItButNotTheUsersOtherTokens(TestDatabases.Kind kind) {
    Fixture f = pool.get(kind);
    TestServer s = f.s();
    TestServer.Response created =
        TestServer.expectOk(s.post(f.alice(), "/api/atrium/v1/principals/alice/tokens", Map.of("name", "laptop")));
    String laptop = created.json().path("token").path("token").asText();
    long id = created.json().path("token").path("id").asLong();
    assertThat(s.get(laptop, "/api/atrium/v1/whoami").status()).isEqualTo(200);

    TestServer.expectOk(s.delete(f.alice(), "/api/atrium/v1/tokens/" + id));
    assertThat(s.get(laptop, "/api/atrium/v1/whoami").status()).isEqualTo(401);
    assertThat(s.get(f.alice(), "/api/atrium/v1/whoami").status()).isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void publicRoutesNeedNoCredentialsAndIgnoreBadOnes(TestDatabases.Kind kind) {
    TestServer s = pool.get(kind).s();
    assertThat(Call.get(s, "/health").send().status()).isEqualTo(200);
    assertThat(Call.get(s, "/health").bearer("garbage").send().status()).isEqualTo(200);
    assertThat(Call.get(s, "/api/3.0/mlflow/server-info").send().json().path("workspaces_enabled").asBoolean())
        .isTrue();
  }

  private static String mintAndRevoke(TestServer s, String principal) {
    TestServer.Response r = TestServer.expectOk(
        s.post(s.adminToken(), "/api/atrium/v1/principals/" + principal + "/tokens", Map.of("name", "to-revoke")));
    String token = r.json().path("token").path("token").asText();
    assertThat(s.get(token, "/api/atrium/v1/whoami").status()).isEqualTo(200);
    TestServer.expectOk(s.delete(s.adminToken(), "/api/atrium/v1/tokens/" + r.json().path("token").path("id").asLong()));
    return token;
  }

  /**
   * Expiry: the shortest lifetime the API grants is a day, so the token's expires_at is moved into
   * the past in the database itself (api_tokens is a control-plane table the app role may update).
   */
  private static String mintAndExpire(TestServer s, String principal) throws SQLException {
    TestServer.Response r = TestServer.expectOk(s.post(s.adminToken(),
        "/api/atrium/v1/principals/" + principal + "/tokens", Map.of("name", "short-lived", "expires_in_days", 1)));
    String token = r.json().path("token").path("token").asText();
    assertThat(s.get(token, "/api/atrium/v1/whoami").status()).isEqualTo(200);
    var cfg = s.config();
    try (Connection c = DriverManager.getConnection(cfg.databaseUrl(), cfg.databaseUser(), cfg.databasePassword());
        PreparedStatement ps = c.prepareStatement("UPDATE api_tokens SET expires_at = ? WHERE token_id = ?")) {
      ps.setLong(1, System.currentTimeMillis() - 1000);
      ps.setLong(2, r.json().path("token").path("id").asLong());
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
    s.atrium().accessChanged(); // the server caches verified tokens; this change was made behind its back
    return token;
  }
}
