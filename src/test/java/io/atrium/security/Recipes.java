package io.atrium.security;

import static io.atrium.isolation.support.Tracking.api;
import static io.atrium.security.World.ok;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.isolation.support.Call;
import io.atrium.isolation.support.Tracking;
import io.atrium.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How to call each route with real identifiers: its query string, its body, and (for routes that
 * destroy what they address) a fresh target made just before each call, so every allowed caller
 * must get a 2xx rather than "already gone". Placeholders are {@code @NAME@}; see
 * {@link World.Data#placeholders()}. A route of the table without a recipe fails the suite.
 */
final class Recipes {
  /**
   * @param phase the order routes are called in: 0 reads, 1 writes, 2 deletes, 3 tenant state, 4 tenant deletion
   * @param fresh makes a new target (as platform admin) and returns placeholders overriding the tenant's ones
   * @param after runs after each call (restores tenant states)
   */
  record Recipe(int phase, String query, String body, BiFunction<World, World.Data, Map<String, String>> fresh,
      Consumer<World> after) {
    Recipe fresh(BiFunction<World, World.Data, Map<String, String>> f) {
      return new Recipe(phase, query, body, f, after);
    }

    Recipe after(Consumer<World> a) {
      return new Recipe(phase, query, body, fresh, a);
    }
  }

  /** What a path parameter of the route table is filled with. */
  static final Map<String, String> PATH_PARAMS = Map.ofEntries(
      Map.entry("name", "@T@"),
      Map.entry("tenant", "@T@"),
      Map.entry("principal", "@SA@"),
      Map.entry("id", "@TOKID@"),
      Map.entry("share_id", "@SHARE@"),
      Map.entry("model_id", "@LM@"),
      Map.entry("tag_key", "flavor"),
      Map.entry("path", "@ART@"),
      Map.entry("tenant_id", "1"),
      Map.entry("upload_id", "@UPLOAD@"),
      Map.entry("part_number", "1"));

  private static final Pattern PARAM = Pattern.compile("\\{([a-z_]+)}|<([a-z_]+)>");
  private static final Pattern PLACEHOLDER = Pattern.compile("@([A-Z]+)@");

  private Recipes() {}

  static Recipe read(String query) {
    return new Recipe(0, query, null, null, null);
  }

  static Recipe readBody(String body) {
    return new Recipe(0, null, body, null, null);
  }

  static Recipe write(String query, String body) {
    return new Recipe(1, query, body, null, null);
  }

  static Recipe delete(String query, String body) {
    return new Recipe(2, query, body, null, null);
  }

  static final Map<String, Recipe> ALL = build();

  private static Map<String, Recipe> build() {
    Map<String, Recipe> m = new LinkedHashMap<>();
    String p = "/api/2.0/mlflow";
    // Health and discovery.
    m.put("GET /health", read(null));
    m.put("GET /ready", read(null));
    m.put("GET /metrics", read(null));
    m.put("GET /api/atrium/v1/openapi.json", read(null));
    m.put("GET /api/3.0/mlflow/server-info", read(null));
    m.put("GET /api/3.0/mlflow/workspaces", read(null));
    m.put("GET /api/3.0/mlflow/workspaces/{name}", read(null));
    // Admin API: tenants.
    m.put("POST /api/atrium/v1/tenants", write(null, "{\"name\":\"@FRESH@\"}").fresh((w, d) -> name(w, "tenant")));
    m.put("GET /api/atrium/v1/tenants", read(null));
    m.put("GET /api/atrium/v1/tenants/{name}", read(null));
    m.put("POST /api/atrium/v1/tenants/{name}/suspend",
        new Recipe(3, null, "{}", null, World::resetTenantStates));
    m.put("POST /api/atrium/v1/tenants/{name}/reactivate",
        new Recipe(3, null, "{}", null, World::resetTenantStates));
    m.put("DELETE /api/atrium/v1/tenants/{name}", new Recipe(4, null, null, null, null));
    m.put("GET /api/atrium/v1/tenants/{name}/limits", read(null));
    m.put("PUT /api/atrium/v1/tenants/{name}/limits", write(null,
        "{\"rps\":100000,\"burst\":100000,\"concurrency\":1000,\"runs_per_minute\":100000}"));
    m.put("GET /api/atrium/v1/tenants/{name}/usage", read("granularity=day"));
    // Admin API: identity.
    m.put("GET /api/atrium/v1/whoami", read(null));
    m.put("POST /api/atrium/v1/users", write(null, "{\"name\":\"@FRESH@\",\"tenant\":\"@T@\",\"role\":\"viewer\"}")
        .fresh((w, d) -> name(w, "user")));
    m.put("POST /api/atrium/v1/tenants/{name}/service-accounts", write(null, "{\"name\":\"@FRESH@\"}")
        .fresh((w, d) -> name(w, "bot")));
    m.put("GET /api/atrium/v1/tenants/{name}/members", read(null));
    m.put("PUT /api/atrium/v1/tenants/{name}/members/{principal}", write(null, "{\"role\":\"editor\"}")
        .fresh((w, d) -> Map.of("SA", freshUser(w, d))));
    m.put("DELETE /api/atrium/v1/tenants/{name}/members/{principal}", delete(null, null)
        .fresh((w, d) -> Map.of("SA", freshUser(w, d))));
    m.put("POST /api/atrium/v1/principals/{principal}/tokens", write(null, "{\"name\":\"matrix\",\"expires_in_days\":1}"));
    m.put("GET /api/atrium/v1/principals/{principal}/tokens", read(null));
    m.put("DELETE /api/atrium/v1/tokens/{id}", delete(null, null).fresh((w, d) -> Map.of("TOKID",
        ok(w.s.post(w.admin(), "/api/atrium/v1/principals/" + d.serviceAccount() + "/tokens",
            Map.of("name", "to-revoke"))).path("token").path("id").asText())));
    // Admin API: audit, gc, shares.
    m.put("GET /api/atrium/v1/audit", read("limit=20"));
    m.put("GET /api/atrium/v1/audit/verify", read(null));
    m.put("GET /api/atrium/v1/tenants/{name}/audit", read("limit=20"));
    m.put("POST /api/atrium/v1/gc", write(null, "{\"retention_days\":3650}"));
    m.put("POST /api/atrium/v1/tenants/{tenant}/shares", write(null,
        "{\"model\":\"@MODEL@\",\"to_tenant\":\"globex\",\"versions\":[\"1\"]}"));
    m.put("GET /api/atrium/v1/tenants/{tenant}/shares", read(null));
    m.put("DELETE /api/atrium/v1/tenants/{tenant}/shares", delete(null, "{\"model\":\"@MODEL@\",\"to_tenant\":\"globex\"}")
        .fresh((w, d) -> Map.of("MODEL", sharedModel(w, d).get("MODEL"))));
    m.put("DELETE /api/atrium/v1/tenants/{tenant}/shares/{share_id}", delete(null, null).fresh(Recipes::sharedModel));
    // MLflow tracking.
    m.put("POST " + p + "/experiments/create", write(null, "{\"name\":\"@FRESH@\"}").fresh((w, d) -> name(w, "exp")));
    m.put("GET " + p + "/experiments/get", read("experiment_id=@EXP@"));
    m.put("GET " + p + "/experiments/get-by-name", read("experiment_name=@EXPNAME@"));
    m.put("POST " + p + "/experiments/search", readBody("{\"max_results\":10}"));
    m.put("GET " + p + "/experiments/search", read("max_results=10"));
    m.put("POST " + p + "/experiments/delete", delete(null, "{\"experiment_id\":\"@EXP@\"}")
        .fresh((w, d) -> Map.of("EXP", freshExperiment(w))));
    m.put("POST " + p + "/experiments/restore", delete(null, "{\"experiment_id\":\"@EXP@\"}").fresh((w, d) -> {
      String e = freshExperiment(w);
      ok(w.s.post(w.admin(), api("acme", "experiments/delete"), Map.of("experiment_id", e)));
      return Map.of("EXP", e);
    }));
    m.put("POST " + p + "/experiments/update", write(null, "{\"experiment_id\":\"@EXP@\",\"new_name\":\"@FRESH@\"}")
        .fresh((w, d) -> Map.of("EXP", freshExperiment(w), "FRESH", w.fresh("renamed"))));
    m.put("POST " + p + "/experiments/set-experiment-tag",
        write(null, "{\"experiment_id\":\"@EXP@\",\"key\":\"reviewed\",\"value\":\"yes\"}"));
    m.put("POST " + p + "/experiments/delete-experiment-tag", delete(null, "{\"experiment_id\":\"@EXP@\",\"key\":\"tmp\"}")
        .fresh((w, d) -> {
          ok(w.s.post(w.admin(), api("acme", "experiments/set-experiment-tag"), Map.of("experiment_id", d.experiment(),
              "key", "tmp", "value", "x")));
          return Map.of();
        }));
    m.put("POST " + p + "/runs/create", write(null, "{\"experiment_id\":\"@EXP@\",\"run_name\":\"matrix\"}"));
    m.put("GET " + p + "/runs/get", read("run_id=@RUN@"));
    m.put("POST " + p + "/runs/update", write(null, "{\"run_id\":\"@RUN@\",\"status\":\"RUNNING\"}"));
    m.put("POST " + p + "/runs/delete", delete(null, "{\"run_id\":\"@RUN@\"}").fresh((w, d) -> Map.of("RUN", freshRun(w, d))));
    m.put("POST " + p + "/runs/restore", delete(null, "{\"run_id\":\"@RUN@\"}").fresh((w, d) -> {
      String r = freshRun(w, d);
      ok(w.s.post(w.admin(), api("acme", "runs/delete"), Map.of("run_id", r)));
      return Map.of("RUN", r);
    }));
    m.put("POST " + p + "/runs/log-metric",
        write(null, "{\"run_id\":\"@RUN@\",\"key\":\"matrix\",\"value\":1.0,\"timestamp\":1718000000000,\"step\":1}"));
    m.put("POST " + p + "/runs/log-parameter", write(null, "{\"run_id\":\"@RUN@\",\"key\":\"@FRESH@\",\"value\":\"1\"}")
        .fresh((w, d) -> name(w, "param")));
    m.put("POST " + p + "/runs/set-tag", write(null, "{\"run_id\":\"@RUN@\",\"key\":\"reviewed\",\"value\":\"yes\"}"));
    m.put("POST " + p + "/runs/delete-tag", delete(null, "{\"run_id\":\"@RUN@\",\"key\":\"tmp\"}").fresh((w, d) -> {
      ok(w.s.post(w.admin(), api("acme", "runs/set-tag"), Map.of("run_id", d.run(), "key", "tmp", "value", "x")));
      return Map.of();
    }));
    m.put("POST " + p + "/runs/log-batch", write(null, "{\"run_id\":\"@RUN@\",\"tags\":[{\"key\":\"batch\",\"value\":\"1\"}]}"));
    m.put("POST " + p + "/runs/log-inputs", write(null, "{\"run_id\":\"@RUN@\",\"datasets\":[{\"dataset\":{\"name\":\"d\","
        + "\"digest\":\"abc\",\"source_type\":\"local\",\"source\":\"{}\"}}]}"));
    m.put("POST " + p + "/runs/search", readBody("{\"experiment_ids\":[\"@EXP@\"],\"max_results\":5}"));
    m.put("GET " + p + "/metrics/get-history", read("run_id=@RUN@&metric_key=@METRIC@&max_results=10"));
    m.put("GET " + p + "/metrics/get-history-bulk-interval", read("run_ids=@RUN@&metric_key=@METRIC@&max_results=10"));
    m.put("POST " + p + "/runs/outputs",
        write(null, "{\"run_id\":\"@RUN@\",\"models\":[{\"model_id\":\"@LM@\",\"step\":0}]}"));
    // Logged models.
    m.put("POST " + p + "/logged-models", write(null, "{\"experiment_id\":\"@EXP@\",\"name\":\"matrix\"}"));
    m.put("POST " + p + "/logged-models/search", readBody("{\"experiment_ids\":[\"@EXP@\"],\"max_results\":5}"));
    m.put("GET " + p + "/logged-models/{model_id}", read(null));
    m.put("GET " + p + "/logged-models/{model_id}/artifacts/directories", read(null));
    m.put("PATCH " + p + "/logged-models/{model_id}", write(null, "{\"status\":\"LOGGED_MODEL_READY\"}"));
    m.put("DELETE " + p + "/logged-models/{model_id}", delete(null, null).fresh((w, d) -> Map.of("LM", freshLoggedModel(w, d))));
    m.put("PATCH " + p + "/logged-models/{model_id}/tags", write(null, "{\"tags\":[{\"key\":\"stage\",\"value\":\"qa\"}]}"));
    m.put("DELETE " + p + "/logged-models/{model_id}/tags/<tag_key>", delete(null, null)
        .fresh((w, d) -> Map.of("LM", freshLoggedModel(w, d))));
    m.put("POST " + p + "/logged-models/{model_id}/params",
        write(null, "{\"params\":[{\"key\":\"@FRESH@\",\"value\":\"1\"}]}").fresh((w, d) -> name(w, "p")));
    // Registry.
    String rm = p + "/registered-models";
    String mv = p + "/model-versions";
    m.put("POST " + rm + "/create", write(null, "{\"name\":\"@FRESH@\"}").fresh((w, d) -> name(w, "model")));
    m.put("GET " + rm + "/get", read("name=@MODEL@"));
    m.put("PATCH " + rm + "/update", write(null, "{\"name\":\"@MODEL@\",\"description\":\"reviewed\"}"));
    m.put("POST " + rm + "/rename", delete(null, "{\"name\":\"@MODEL@\",\"new_name\":\"@FRESH@\"}")
        .fresh((w, d) -> Map.of("MODEL", freshModel(w), "FRESH", w.fresh("renamed"))));
    m.put("DELETE " + rm + "/delete", delete("name=@MODEL@", null).fresh((w, d) -> Map.of("MODEL", freshModel(w))));
    m.put("GET " + rm + "/search", read("max_results=5"));
    m.put("POST " + rm + "/get-latest-versions", readBody("{\"name\":\"@MODEL@\"}"));
    m.put("GET " + rm + "/get-latest-versions", read("name=@MODEL@"));
    m.put("POST " + rm + "/set-tag", write(null, "{\"name\":\"@MODEL@\",\"key\":\"reviewed\",\"value\":\"yes\"}"));
    m.put("DELETE " + rm + "/delete-tag", delete("name=@MODEL@&key=tmp", null).fresh((w, d) -> {
      ok(w.s.post(w.admin(), api("acme", "registered-models/set-tag"), Map.of("name", d.model(), "key", "tmp", "value", "x")));
      return Map.of();
    }));
    m.put("POST " + rm + "/alias", write(null, "{\"name\":\"@MODEL@\",\"alias\":\"candidate\",\"version\":\"2\"}"));
    m.put("DELETE " + rm + "/alias", delete("name=@MODEL@&alias=tmp", null).fresh((w, d) -> {
      ok(w.s.post(w.admin(), api("acme", "registered-models/alias"), Map.of("name", d.model(), "alias", "tmp", "version", "2")));
      return Map.of();
    }));
    m.put("GET " + rm + "/alias", read("name=@MODEL@&alias=@ALIAS@"));
    m.put("POST " + mv + "/create", write(null, "{\"name\":\"@MODEL@\",\"source\":\"runs:/@RUN@/model\"}"));
    m.put("GET " + mv + "/get", read("name=@MODEL@&version=@VER@"));
    m.put("PATCH " + mv + "/update", write(null, "{\"name\":\"@MODEL@\",\"version\":\"@VER@\",\"description\":\"ok\"}"));
    m.put("POST " + mv + "/transition-stage",
        write(null, "{\"name\":\"@MODEL@\",\"version\":\"2\",\"stage\":\"Staging\",\"archive_existing_versions\":false}"));
    m.put("DELETE " + mv + "/delete", delete("name=@MODEL@&version=@VER@", null).fresh((w, d) -> Map.of("VER",
        ok(w.s.post(w.admin(), api("acme", "model-versions/create"), Map.of("name", d.model(), "source",
            "runs:/" + d.run() + "/model"))).path("model_version").path("version").asText())));
    m.put("GET " + mv + "/search", read("max_results=5"));
    m.put("GET " + mv + "/get-download-uri", read("name=@MODEL@&version=@VER@"));
    m.put("POST " + mv + "/set-tag", write(null, "{\"name\":\"@MODEL@\",\"version\":\"@VER@\",\"key\":\"k\",\"value\":\"v\"}"));
    m.put("DELETE " + mv + "/delete-tag", delete("name=@MODEL@&version=@VER@&key=tmp", null).fresh((w, d) -> {
      ok(w.s.post(w.admin(), api("acme", "model-versions/set-tag"), Map.of("name", d.model(), "version", d.version(),
          "key", "tmp", "value", "x")));
      return Map.of();
    }));
    // Artifacts.
    String art = "/api/2.0/mlflow-artifacts";
    m.put("GET " + art + "/artifacts", read("path=@EXP@/@RUN@/artifacts"));
    m.put("GET " + art + "/artifacts/<path>", read(null));
    m.put("PUT " + art + "/artifacts/<path>", new Recipe(1, null, "raw:matrix upload", null, null)
        .fresh((w, d) -> Map.of("ART", d.experiment() + "/" + d.run() + "/artifacts/" + w.fresh("upload") + ".txt")));
    m.put("DELETE " + art + "/artifacts/<path>", delete(null, null).fresh((w, d) -> {
      String path = d.experiment() + "/" + d.run() + "/artifacts/" + w.fresh("doomed") + ".txt";
      ok(Call.of(w.s, "PUT", "/t/acme" + art + "/artifacts/" + path).bearer(w.admin())
          .raw("x".getBytes(StandardCharsets.UTF_8), "application/octet-stream").send());
      return Map.of("ART", path);
    }));
    // Multipart upload: a fresh directory per call; complete and abort get an upload of their own
    // (made by the platform admin, one part stored through its signed URL).
    m.put("POST " + art + "/mpu/create/<path>", write(null, "{\"path\":\"/home/me/part.bin\",\"num_parts\":2}")
        .fresh((w, d) -> Map.of("ART", d.experiment() + "/" + d.run() + "/artifacts/" + w.fresh("mpu"))));
    m.put("POST " + art + "/mpu/complete/<path>",
        write(null, "{\"path\":\"part.bin\",\"upload_id\":\"@UPLOAD@\",\"parts\":[{\"part_number\":1,\"etag\":\"@ETAG@\"}]}")
            .fresh(Recipes::freshUpload));
    m.put("POST " + art + "/mpu/abort/<path>", write(null, "{\"path\":\"part.bin\",\"upload_id\":\"@UPLOAD@\"}")
        .fresh(Recipes::freshUpload));
    // No signature at all: only a valid one for this tenant, upload and part would open the route.
    m.put("PUT " + art + "/mpu/part/{tenant_id}/{upload_id}/{part_number}",
        new Recipe(1, "expires=4102444800&sig=AAAA", "raw:a part", null, null).fresh((w, d) -> Map.of("UPLOAD", "nosuchupload")));
    m.put("GET " + p + "/artifacts/list", read("run_id=@RUN@&path=model"));
    return m;
  }

  /** A multipart upload in acme with part 1 stored: placeholders ART (its directory), UPLOAD and ETAG. */
  private static Map<String, String> freshUpload(World w, World.Data d) {
    String dir = d.experiment() + "/" + d.run() + "/artifacts/" + w.fresh("mpu");
    JsonNode created = ok(Call.of(w.s, "POST", "/t/acme/api/2.0/mlflow-artifacts/mpu/create/" + dir).bearer(w.admin())
        .json(Map.of("path", "part.bin", "num_parts", 1)).send());
    String url = created.path("credentials").get(0).path("url").asText();
    TestServer.Response part = Call.of(w.s, "PUT", url.substring(url.indexOf("/api/")))
        .raw("part one".getBytes(StandardCharsets.UTF_8), "application/octet-stream").send();
    ok(part);
    String etag = part.headers().firstValue("ETag").orElseThrow();
    return Map.of("ART", dir, "UPLOAD", created.path("upload_id").asText(), "ETAG", etag.replace("\"", "\\\""));
  }

  private static Map<String, String> name(World w, String prefix) {
    return Map.of("FRESH", w.fresh(prefix));
  }

  private static String freshUser(World w, World.Data d) {
    String u = w.fresh("temp");
    ok(w.s.post(w.admin(), "/api/atrium/v1/users", Map.of("name", u, "tenant", "acme", "role", "viewer")));
    return u;
  }

  private static String freshExperiment(World w) {
    return Tracking.createExperiment(w.s, w.admin(), "acme", w.fresh("doomed-exp"));
  }

  private static String freshRun(World w, World.Data d) {
    return Tracking.createRun(w.s, w.admin(), "acme", d.experiment(), w.fresh("doomed-run"));
  }

  private static String freshModel(World w) {
    String name = w.fresh("doomed-model");
    ok(w.s.post(w.admin(), api("acme", "registered-models/create"), Map.of("name", name)));
    return name;
  }

  private static String freshLoggedModel(World w, World.Data d) {
    JsonNode lm = ok(w.s.post(w.admin(), api("acme", "logged-models"), Map.of("experiment_id", d.experiment(),
        "name", "doomed", "tags", List.of(Map.of("key", "flavor", "value", "x")))));
    return lm.path("model").path("info").path("model_id").asText();
  }

  private static Map<String, String> sharedModel(World w, World.Data d) {
    String model = freshModel(w);
    ok(w.s.post(w.admin(), api("acme", "model-versions/create"), Map.of("name", model, "source",
        "runs:/" + d.run() + "/model")));
    JsonNode share = ok(w.s.post(w.admin(), "/api/atrium/v1/tenants/acme/shares", Map.of("model", model,
        "to_tenant", "globex")));
    return Map.of("MODEL", model, "SHARE", share.path("share").path("share_id").asText());
  }

  /** The route's path with its parameters filled in ({@code @X@} placeholders, replaced afterwards). */
  static String fillPath(String template) {
    Matcher mt = PARAM.matcher(template);
    StringBuilder sb = new StringBuilder();
    while (mt.find()) {
      String param = mt.group(1) != null ? mt.group(1) : mt.group(2);
      String value = PATH_PARAMS.get(param);
      if (value == null) {
        throw new AssertionError("no filler for path parameter '" + param + "' of " + template
            + ": add one to Recipes.PATH_PARAMS");
      }
      mt.appendReplacement(sb, Matcher.quoteReplacement(value));
    }
    mt.appendTail(sb);
    return sb.toString();
  }

  static String substitute(String text, Map<String, String> values) {
    if (text == null) {
      return null;
    }
    Matcher mt = PLACEHOLDER.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (mt.find()) {
      String v = values.get(mt.group(1));
      if (v == null) {
        throw new AssertionError("no value for @" + mt.group(1) + "@ in " + text);
      }
      mt.appendReplacement(sb, Matcher.quoteReplacement(v));
    }
    mt.appendTail(sb);
    return sb.toString();
  }

  static Map<String, String> values(World.Data d, Map<String, String> overrides) {
    Map<String, String> v = new HashMap<>(d.placeholders());
    v.putAll(overrides);
    return v;
  }
}
