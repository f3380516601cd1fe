package io.atrium.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.atrium.http.Route;
import io.atrium.isolation.support.ErrorBodies;
import io.atrium.isolation.support.ServerPool;
import io.atrium.security.World.Caller;
import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The route-by-role matrix: every route of the server's own route table, called by every kind of
 * caller, against the expected outcome in {@code src/test/resources/security/route-matrix.csv}.
 *
 * <p>A route missing from the table, or a row naming a route that no longer exists, fails the suite,
 * so a new route cannot ship without someone deciding who may call it. Cells are the status class
 * every served form of the route must give: {@code 2xx}, or an exact status ({@code 401}, {@code 403},
 * {@code 404}, {@code 400}, {@code 501}). Tenant routes are called at their canonical path (tenant by
 * {@code X-MLFLOW-WORKSPACE}) and at {@code /t/{tenant}/...}; both must agree.
 *
 * <p>Callers address tenant acme (the suspended-tenant member addresses his own tenant, initech) with
 * acme's real identifiers; routes that destroy what they address get a fresh target before each call,
 * so an allowed caller must really succeed. Set {@code -Datrium.matrix.record=<file>} to write the
 * observed table (for review when routes change).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouteMatrixIT {
  static final String TABLE = "/security/route-matrix.csv";
  private final ServerPool<World> pool = new ServerPool<>(World::build);

  static List<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  @AfterAll
  void stop() {
    pool.close();
  }

  /** route id → caller → expected class. */
  static Map<String, Map<Caller, String>> table() {
    Map<String, Map<Caller, String>> t = new LinkedHashMap<>();
    try (InputStream in = RouteMatrixIT.class.getResourceAsStream(TABLE)) {
      assertThat(in).as(TABLE).isNotNull();
      List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
      String[] header = lines.get(0).split(",");
      assertThat(header.length).isEqualTo(Caller.values().length + 1);
      for (int i = 1; i < header.length; i++) {
        assertThat(header[i].trim()).isEqualTo(Caller.values()[i - 1].name().toLowerCase(Locale.ROOT));
      }
      for (String line : lines.subList(1, lines.size())) {
        String[] cells = line.split(",");
        assertThat(cells).as(line).hasSize(header.length);
        Map<Caller, String> row = new EnumMap<>(Caller.class);
        for (int i = 1; i < cells.length; i++) {
          row.put(Caller.values()[i - 1], cells[i].trim());
        }
        assertThat(t.put(cells[0].trim(), row)).as("duplicate row " + cells[0]).isNull();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return t;
  }

  static String classOf(int status) {
    return status >= 200 && status < 300 ? "2xx" : String.valueOf(status);
  }

  @Test
  void everyRouteHasARowAndARecipeAndEveryRowARoute() {
    TestServer s = pool.server(TestDatabases.Kind.H2);
    Set<String> served = new TreeSet<>();
    s.atrium().routes().forEach(r -> served.add(r.id()));
    Set<String> rows = new TreeSet<>(table().keySet());
    Set<String> unreviewed = new TreeSet<>(served);
    unreviewed.removeAll(rows);
    Set<String> stale = new TreeSet<>(rows);
    stale.removeAll(served);
    assertThat(unreviewed).as("routes without a row in " + TABLE + ": decide who may call them").isEmpty();
    assertThat(stale).as("rows in " + TABLE + " for routes the server no longer has").isEmpty();
    Set<String> noRecipe = new TreeSet<>(served);
    noRecipe.removeAll(Recipes.ALL.keySet());
    assertThat(noRecipe).as("routes without a recipe in Recipes (how to call them with real ids)").isEmpty();
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void everyRouteAnswersEveryCallerAsTheTableSays(TestDatabases.Kind kind) throws IOException {
    World w = pool.get(kind);
    Map<String, Map<Caller, String>> table = table();
    List<Route> routes = new ArrayList<>(w.s.atrium().routes());
    routes.removeIf(r -> !Recipes.ALL.containsKey(r.id()));
    routes.sort(Comparator.comparingInt(r -> Recipes.ALL.get(r.id()).phase()));

    long before = Requests.SENT.get();
    Map<String, Map<Caller, Set<String>>> observed = new LinkedHashMap<>();
    List<String> mismatches = new ArrayList<>();
    for (Route route : routes) {
      Recipes.Recipe recipe = Recipes.ALL.get(route.id());
      Map<Caller, Set<String>> row = new EnumMap<>(Caller.class);
      for (Caller caller : Caller.values()) {
        Map<String, String> overrides = new LinkedHashMap<>();
        if (caller == Caller.SUSPENDED) {
          overrides.put("T", "initech");
        }
        Set<String> classes = new LinkedHashSet<>();
        Map<String, String> values0 = Recipes.values(w.acme, overrides);
        for (int form = 0; form < Requests.forms(route); form++) {
          Map<String, String> fresh = recipe.fresh() == null ? Map.of() : recipe.fresh().apply(w, w.acme);
          Map<String, String> values = new LinkedHashMap<>(values0);
          values.putAll(fresh);
          values.putAll(overrides);
          Requests.Req req = Requests.forRoute(route, recipe, values).get(form);
          TestServer.Response r = req.send(w.s, w.tokens.get(caller));
          String cls = classOf(r.status());
          classes.add(cls);
          if (r.status() >= 500 && r.status() != 501) {
            mismatches.add(route.id() + " as " + caller + " at " + req.path() + ": server error " + abbreviate(r.body()));
          } else if (r.status() >= 400 && r.status() != 501) {
            ErrorBodies.assertClean(r);
          }
          if (r.status() == 401) {
            assertThat(r.json().path("error_code").asText()).isEqualTo("UNAUTHENTICATED");
          }
          String expected = table.getOrDefault(route.id(), Map.of()).getOrDefault(caller, "(no row)");
          if (!expected.equals(cls)) {
            mismatches.add(route.id() + " as " + caller + " at " + req.method() + " " + req.path()
                + (req.workspace() == null ? "" : " [workspace " + req.workspace() + "]") + ": expected " + expected
                + ", got " + r.status() + " " + abbreviate(r.body()));
          }
          if (recipe.after() != null) {
            recipe.after().accept(w);
          }
        }
        row.put(caller, classes);
      }
      observed.put(route.id(), row);
    }
    long sent = Requests.SENT.get() - before;
    System.out.printf("route matrix on %s: %d routes x %d callers, %d requests (fresh targets not counted)%n",
        kind, routes.size(), Caller.values().length, sent);
    String record = System.getProperty("atrium.matrix.record");
    if (record != null) {
      Files.writeString(Path.of(record + "." + kind.name().toLowerCase(Locale.ROOT) + ".csv"), render(observed));
    }
    assertThat(mismatches).as("route matrix mismatches (%d)", mismatches.size()).isEmpty();
  }

  private static String abbreviate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  private static String render(Map<String, Map<Caller, Set<String>>> observed) {
    StringBuilder sb = new StringBuilder("route");
    for (Caller c : Caller.values()) {
      sb.append(',').append(c.name().toLowerCase(Locale.ROOT));
    }
    sb.append('\n');
    observed.forEach((id, row) -> {
      sb.append(id);
      for (Caller c : Caller.values()) {
        sb.append(',').append(String.join("|", row.get(c)));
      }
      sb.append('\n');
    });
    return sb.toString();
  }
}
