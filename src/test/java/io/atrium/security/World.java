package io.atrium.security;

import static io.atrium.isolation.support.Tracking.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.Atrium;
import io.atrium.db.Database;
import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestServer;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two fully populated tenants (acme, globex) and a suspended one (initech) on one server, with a
 * caller of every kind the security suite needs. Everything is made over the public HTTP API, as a
 * user would; the one exception is {@link #expire}, which back-dates a token in the database because
 * the API (rightly) refuses to mint one that is already expired.
 */
public final class World {
  /** The callers of the route matrix, least privileged first (so a destructive call by a stronger one comes last). */
  public enum Caller {
    ANONYMOUS, MALFORMED, EXPIRED, REVOKED, STRANGER, SUSPENDED, VIEWER, EDITOR, ADMIN, OWNER, PLATFORM
  }

  /** What one tenant holds: the identifiers the attacks reuse. */
  public record Data(String tenant, String experiment, String experimentName, String run, String metricKey,
      String loggedModel, String model, String version, String alias, String artifact, String serviceAccount,
      long tokenId, String shareId, String member) {
    Map<String, String> placeholders() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("T", tenant);
      m.put("EXP", experiment);
      m.put("EXPNAME", experimentName);
      m.put("RUN", run);
      m.put("METRIC", metricKey);
      m.put("LM", loggedModel);
      m.put("MODEL", model);
      m.put("VER", version);
      m.put("ALIAS", alias);
      m.put("ART", artifact);
      m.put("SA", serviceAccount);
      m.put("TOKID", String.valueOf(tokenId));
      m.put("SHARE", shareId);
      m.put("MEMBER", member);
      return m;
    }
  }

  public final TestServer s;
  public final Map<Caller, String> tokens = new LinkedHashMap<>();
  /** Every token this world minted, for the secrets checks. */
  public final List<String> issued = new ArrayList<>();
  public Data acme;
  public Data globex;
  /** globex's owner: the "member of another tenant". */
  public String gina;
  private final AtomicInteger seq = new AtomicInteger();

  private World(TestServer s) {
    this.s = s;
  }

  public static World build(TestServer s) {
    World w = new World(s);
    w.populate();
    return w;
  }

  public String admin() {
    return s.adminToken();
  }

  /** A name unique in this world. */
  public String fresh(String prefix) {
    return prefix + "-" + seq.incrementAndGet();
  }

  static JsonNode ok(TestServer.Response r) {
    return TestServer.expectOk(r).json();
  }

  private void populate() {
    for (String t : List.of("acme", "globex", "initech")) {
      s.createTenant(t);
      // The suite sends a few thousand requests a minute; the default fair-use limits must not get in the way.
      s.put(admin(), "/api/atrium/v1/tenants/" + t + "/limits",
          Map.of("rps", 100000, "burst", 100000, "concurrency", 1000, "runs_per_minute", 100000));
    }
    tokens.put(Caller.VIEWER, user("vic", "acme", "viewer"));
    tokens.put(Caller.EDITOR, user("eddie", "acme", "editor"));
    tokens.put(Caller.ADMIN, user("ada", "acme", "admin"));
    tokens.put(Caller.OWNER, user("olga", "acme", "owner"));
    gina = user("gina", "globex", "owner");
    tokens.put(Caller.STRANGER, gina);
    String bob = user("bob", "globex", "editor");
    tokens.put(Caller.SUSPENDED, user("sam", "initech", "admin"));
    tokens.put(Caller.PLATFORM, admin());
    tokens.put(Caller.MALFORMED, "atr_0123456789abcdef01234567_notARealSecretAtAllNotARealSecretAtAll123");

    // Expired: a token of eddie's, back-dated in the database (the API only mints tokens of >= 1 day).
    JsonNode expiring = ok(s.post(admin(), "/api/atrium/v1/principals/eddie/tokens", Map.of("name", "old-laptop",
        "expires_in_days", 1))).path("token");
    issued.add(expiring.path("token").asText());
    expire(expiring.path("id").asLong());
    tokens.put(Caller.EXPIRED, expiring.path("token").asText());
    // Revoked: a token of eddie's, revoked by eddie.
    JsonNode revoked = ok(s.post(tokens.get(Caller.EDITOR), "/api/atrium/v1/principals/eddie/tokens",
        Map.of("name", "lost-phone"))).path("token");
    issued.add(revoked.path("token").asText());
    ok(s.delete(tokens.get(Caller.EDITOR), "/api/atrium/v1/tokens/" + revoked.path("id").asLong()));
    tokens.put(Caller.REVOKED, revoked.path("token").asText());

    acme = populate("acme", tokens.get(Caller.EDITOR), tokens.get(Caller.ADMIN), "churn", 4);
    globex = populate("globex", bob, gina, "fraud-detection", 7);
    ok(s.post(admin(), "/api/atrium/v1/tenants/initech/suspend", Map.of()));
  }

  private String user(String name, String tenant, String role) {
    String t = s.createUser(name, tenant, role);
    issued.add(t);
    return t;
  }

  /**
   * One tenant's worth of everything: experiments, a run with params and metric curves, artifacts,
   * a logged model, a registered model with versions, tags and an alias, a service account with a
   * token, a member, a share given to the other tenant, and (through all of it) audit entries and usage.
   */
  private Data populate(String t, String editor, String admin, String experimentName, int extraExperiments) {
    for (int i = 0; i < extraExperiments; i++) {
      Tracking.createExperiment(s, editor, t, t + "-scratch-" + i);
    }
    String exp = Tracking.createExperiment(s, editor, t, experimentName);
    String run = Tracking.createRun(s, editor, t, exp, "xgb-" + t);
    Tracking.logTraining(s, editor, t, run, t.length(), 120);
    String artifact = exp + "/" + run + "/artifacts/model/MLmodel";
    ok(Call.of(s, "PUT", "/t/" + t + "/api/2.0/mlflow-artifacts/artifacts/" + artifact).bearer(editor)
        .raw(("artifact_path: model\nflavors:\n  sklearn: {}\n# " + t + "\n").getBytes(StandardCharsets.UTF_8),
            "application/octet-stream").send());
    JsonNode lm = ok(s.post(editor, api(t, "logged-models"), Map.of("experiment_id", exp, "name", "model",
        "source_run_id", run, "model_type", "sklearn", "params", List.of(Map.of("key", "C", "value", "1.0")),
        "tags", List.of(Map.of("key", "flavor", "value", "sklearn")))));
    String lmId = lm.path("model").path("info").path("model_id").asText();
    ok(s.send(editor, "PATCH", api(t, "logged-models/" + lmId), "{\"status\":\"LOGGED_MODEL_READY\"}", "application/json"));
    String model = t + "-" + experimentName + "-model";
    ok(s.post(editor, api(t, "registered-models/create"), Map.of("name", model, "description", "the " + t + " model",
        "tags", List.of(Map.of("key", "team", "value", t + "-ml")))));
    ok(s.post(editor, api(t, "model-versions/create"), Map.of("name", model, "source", "models:/" + lmId,
        "model_id", lmId)));
    ok(s.post(editor, api(t, "model-versions/create"), Map.of("name", model, "source", "runs:/" + run + "/model",
        "run_id", run)));
    ok(s.post(editor, api(t, "model-versions/set-tag"), Map.of("name", model, "version", "1", "key", "validated",
        "value", "yes")));
    ok(s.post(editor, api(t, "registered-models/alias"), Map.of("name", model, "alias", "champion", "version", "1")));
    String sa = t + "-ci";
    ok(s.post(admin, "/api/atrium/v1/tenants/" + t + "/service-accounts", Map.of("name", sa)));
    JsonNode tok = ok(s.post(admin, "/api/atrium/v1/principals/" + sa + "/tokens", Map.of("name", "nightly")))
        .path("token");
    issued.add(tok.path("token").asText());
    String other = t.equals("acme") ? "globex" : "acme";
    JsonNode share = ok(s.post(admin, "/api/atrium/v1/tenants/" + t + "/shares", Map.of("model", model,
        "to_tenant", other, "versions", List.of("1"))));
    String member = t + "-analyst";
    user(member, t, "viewer");
    return new Data(t, exp, experimentName, run, "val_auc", lmId, model, "1", "champion", artifact, sa,
        tok.path("id").asLong(), share.path("share").path("share_id").asText(), member);
  }

  /** Back-dates a token so it has expired an hour ago: the one test seam (the API refuses to mint expired tokens). */
  void expire(long tokenId) {
    database().platform(h -> h.createUpdate("UPDATE api_tokens SET expires_at = :t WHERE token_id = :id")
        .bind("t", System.currentTimeMillis() - 3_600_000L).bind("id", tokenId).execute());
    s.atrium().accessChanged();
  }

  private Database database() {
    try {
      Field f = Atrium.class.getDeclaredField("db");
      f.setAccessible(true);
      return (Database) f.get(s.atrium());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("test seam: Atrium.db", e);
    }
  }

  /** acme active and initech suspended again, after a matrix call that may have changed either. */
  void resetTenantStates() {
    s.post(admin(), "/api/atrium/v1/tenants/acme/reactivate", Map.of());
    s.post(admin(), "/api/atrium/v1/tenants/globex/reactivate", Map.of());
    s.post(admin(), "/api/atrium/v1/tenants/initech/suspend", Map.of());
  }
}
