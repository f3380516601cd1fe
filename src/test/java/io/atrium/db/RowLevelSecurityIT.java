package io.atrium.db;

import static io.atrium.tracking.TrackingFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.config.AtriumConfig;
import io.atrium.config.ConfigException;
import io.atrium.tenancy.TenantId;
import io.atrium.testing.TestDatabases;
import io.atrium.tracking.Metric;
import io.atrium.tracking.TrackingFixtures;
import io.atrium.tracking.TrackingStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL's row-level security is the second wall between tenants: these tests run queries that
 * deliberately forget {@code WHERE tenant_id = ...} and prove that the database itself keeps the
 * other tenant out of sight and out of reach. H2 has no RLS; there isolation rests on the
 * statements alone (covered by the store tests), so this class is skipped.
 */
class RowLevelSecurityIT {
  /**
   * Control-plane tables: they carry a tenant_id but are read through Database.platform(), across
   * tenants, so they have no RLS. A new table with a tenant_id fails this class until it either
   * gets RLS (data plane) or is deliberately listed here. (principals has home_tenant_id instead.)
   */
  private static final Set<String> CONTROL_PLANE =
      Set.of("tenants", "memberships", "api_tokens", "audit_log", "audit_outbox", "tenant_limits");

  private static final List<String> TENANT_TABLES =
      List.of("tenant_sequences", "experiments", "runs", "params", "tags", "metrics", "latest_metrics");

  @TempDir Path dataDir;

  private AtriumConfig config;
  private String databaseName;

  @BeforeEach
  void requirePostgres() {
    assumeTrue(TestDatabases.kinds().contains(TestDatabases.Kind.POSTGRES), "row-level security exists on PostgreSQL only");
    config = TestDatabases.config(TestDatabases.Kind.POSTGRES, dataDir);
    databaseName = config.databaseUrl().substring(config.databaseUrl().lastIndexOf('/') + 1);
  }

  /** Two tenants with the same shape of data: one experiment, one run, params, tags and metrics. */
  private record Populated(TenantId acme, String acmeRun, TenantId globex, String globexRun) {}

  private Populated populate(Database db) {
    TrackingStore store = new TrackingStore(db);
    TenantId acme = TrackingFixtures.tenant(db, "acme");
    TenantId globex = TrackingFixtures.tenant(db, "globex");
    String acmeRun = TrackingFixtures.experimentWithRun(db, acme, "churn");
    String globexRun = TrackingFixtures.experimentWithRun(db, globex, "churn");
    for (TenantId t : List.of(acme, globex)) {
      String run = t.equals(acme) ? acmeRun : globexRun;
      db.inTenant(t, h -> {
        store.insertParams(h, t, run, TrackingFixtures.params(10));
        store.setTags(h, t, run, Map.of("mlflow.user", "ann", "team", "forecasting"));
        store.metrics().logMetrics(h, t, run, TrackingFixtures.metricHistory(3, 20));
        return null;
      });
    }
    return new Populated(acme, acmeRun, globex, globexRun);
  }

  /** Row counts per tenant-owned table for one tenant, read as superuser, i.e. past RLS. */
  private Map<String, Long> countsAsSuperuser(TenantId tenant) throws SQLException {
    Map<String, Long> counts = new LinkedHashMap<>();
    try (Connection c = TestDatabases.superuser(databaseName); Statement s = c.createStatement()) {
      for (String table : TENANT_TABLES) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table + " WHERE tenant_id = " + tenant.value())) {
          rs.next();
          counts.put(table, rs.getLong(1));
        }
      }
    }
    return counts;
  }

  private List<String> paramValuesAsSuperuser(TenantId tenant) throws SQLException {
    List<String> values = new ArrayList<>();
    try (Connection c = TestDatabases.superuser(databaseName);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(
            "SELECT param_value FROM params WHERE tenant_id = " + tenant.value() + " ORDER BY param_key")) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }

  @Test
  void unscopedStatementsInsideATenantTransactionSeeAndTouchOnlyThatTenant() throws SQLException {
    try (Database db = Database.open(config)) {
      Populated p = populate(db);
      Map<String, Long> globexBefore = countsAsSuperuser(p.globex());
      List<String> globexParamsBefore = paramValuesAsSuperuser(p.globex());
      Map<String, Long> acmeBefore = countsAsSuperuser(p.acme());
      assertThat(globexBefore.get("metrics")).isEqualTo(60);

      db.inTenant(p.acme(), h -> {
        List<Map<String, Object>> runs = h.createQuery("SELECT * FROM runs").mapToMap().list();
        assertThat(runs).singleElement().satisfies(r -> {
          assertThat(r.get("run_uuid")).isEqualTo(p.acmeRun());
          assertThat(r.get("tenant_id")).isEqualTo(p.acme().value());
        });
        assertThat(h.createQuery("SELECT count(*) FROM metrics").mapTo(Long.class).one()).isEqualTo(acmeBefore.get("metrics"));
        assertThat(h.createQuery("SELECT DISTINCT tenant_id FROM latest_metrics").mapTo(Long.class).list())
            .containsExactly(p.acme().value());
        assertThat(h.createQuery("SELECT count(*) FROM params WHERE tenant_id = :other").bind("other", p.globex().value())
                .mapTo(Long.class).one())
            .as("even naming the other tenant explicitly finds nothing")
            .isZero();
        assertThat(h.createQuery("SELECT count(*) FROM runs WHERE run_uuid = :r").bind("r", p.globexRun()).mapTo(Long.class).one())
            .isZero();
        assertThat(h.createUpdate("UPDATE params SET param_value = 'x'").execute()).isEqualTo(acmeBefore.get("params").intValue());
        assertThat(h.createUpdate("DELETE FROM tags").execute()).isEqualTo(acmeBefore.get("tags").intValue());
        assertThat(h.createUpdate("DELETE FROM metrics WHERE tenant_id = :other").bind("other", p.globex().value()).execute())
            .isZero();
        return null;
      });

      // Writing a row for the other tenant, or moving one's own row there, fails the WITH CHECK.
      assertPolicyViolation(db, p.acme(), h -> h.createUpdate("""
              INSERT INTO params (tenant_id, run_uuid, param_key, param_value) VALUES (:t, :r, 'smuggled', 'x')""")
          .bind("t", p.globex().value()).bind("r", p.globexRun()).execute());
      assertPolicyViolation(db, p.acme(), h -> h.createUpdate("""
              INSERT INTO runs (tenant_id, run_uuid, experiment_id, status, lifecycle_stage, artifact_uri)
              VALUES (:t, :r, 1, 'RUNNING', 'active', 'x')""")
          .bind("t", p.globex().value()).bind("r", TrackingFixtures.newRunId()).execute());
      assertPolicyViolation(db, p.acme(), h -> h.createUpdate("UPDATE runs SET tenant_id = :t")
          .bind("t", p.globex().value()).execute());
      TrackingStore store = new TrackingStore(db);
      assertPolicyViolation(db, p.acme(), h -> {
        store.metrics().logMetrics(h, p.globex(), p.globexRun(), List.of(new Metric("loss", 0.0, T0, 0)));
        return 0;
      });

      assertThat(countsAsSuperuser(p.globex())).isEqualTo(globexBefore);
      assertThat(paramValuesAsSuperuser(p.globex())).isEqualTo(globexParamsBefore).doesNotContain("x");
      assertThat(paramValuesAsSuperuser(p.acme())).containsOnly("x");
      Map<String, Long> acmeAfter = countsAsSuperuser(p.acme());
      assertThat(acmeAfter.get("tags")).isZero();
      assertThat(acmeAfter.get("runs")).isEqualTo(1);
    }
  }

  private static void assertPolicyViolation(Database db, TenantId tenant, Database.Tx<Integer> work) {
    assertThatThrownBy(() -> db.inTenant(tenant, work))
        .hasStackTraceContaining("violates row-level security policy");
  }

  @Test
  void withoutATenantNoTenantRowIsVisibleAndTheSettingDoesNotOutliveItsTransaction() throws SQLException {
    // One connection, so platform() must reuse the very connection inTenant() just used.
    AtriumConfig oneConnection = new AtriumConfig(config.host(), config.port(), config.dataDir(), config.databaseUrl(),
        config.databaseUser(), config.databasePassword(), config.migrationUser(), config.migrationPassword(), 1,
        config.artifactRoot(), config.maxBodyBytes());
    try (Database db = Database.open(oneConnection)) {
      Populated p = populate(db);
      assertThat(countsAsSuperuser(p.acme()).get("metrics")).isPositive();
      db.inTenant(p.acme(), h -> h.createQuery("SELECT count(*) FROM runs").mapTo(Long.class).one());
      db.platform(h -> {
        assertThat(h.createQuery("SELECT current_setting('atrium.tenant_id', true)").mapTo(String.class).findOne()
                .flatMap(Optional::ofNullable).orElse(""))
            .isEmpty();
        for (String table : TENANT_TABLES) {
          assertThat(h.createQuery("SELECT count(*) FROM " + table).mapTo(Long.class).one()).as(table).isZero();
        }
        assertThat(h.createUpdate("DELETE FROM runs").execute()).isZero();
        assertThat(h.createQuery("SELECT count(*) FROM tenants").mapTo(Long.class).one())
            .as("control-plane tables stay readable")
            .isEqualTo(2);
        return null;
      });
      assertThatThrownBy(() -> db.platform(h -> h.createUpdate("""
              INSERT INTO tags (tenant_id, run_uuid, tag_key, tag_value) VALUES (:t, :r, 'k', 'v')""")
          .bind("t", p.acme().value()).bind("r", p.acmeRun()).execute()))
          .hasStackTraceContaining("violates row-level security policy");
      assertThat(countsAsSuperuser(p.acme()).get("runs")).isEqualTo(1);
    }
  }

  @Test
  void theApplicationRoleCannotBypassRowLevelSecurity() {
    try (Database db = Database.open(config)) {
      Map<String, Object> role = db.platform(h -> h.createQuery(
              "SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
          .mapToMap().one());
      assertThat(role.get("name")).isEqualTo(config.databaseUser());
      assertThat(role.get("rolsuper")).isEqualTo(false);
      assertThat(role.get("rolbypassrls")).isEqualTo(false);
      long ownsTables = db.platform(h -> h.createQuery("""
              SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind = 'r' AND pg_get_userbyid(c.relowner) = current_user""")
          .mapTo(Long.class).one());
      assertThat(ownsTables).as("the app role owns no table, so it cannot ALTER ... DISABLE ROW LEVEL SECURITY").isZero();
    }
  }

  @Test
  void theApplicationRoleMayUseEveryTableButOnlyAppendToTheAuditLog() {
    try (Database db = Database.open(config)) {
      // Tables from later migrations rely on ALTER DEFAULT PRIVILEGES; a table the role cannot use
      // would only show up as a 500 in production.
      List<Map<String, Object>> privileges = db.platform(h -> h.createQuery("""
              SELECT c.relname AS name,
                     has_table_privilege(c.oid, 'SELECT') AS sel, has_table_privilege(c.oid, 'INSERT') AS ins,
                     has_table_privilege(c.oid, 'UPDATE') AS upd, has_table_privilege(c.oid, 'DELETE') AS del,
                     has_table_privilege(c.oid, 'TRUNCATE') AS trunc
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> 'flyway_schema_history'
              ORDER BY c.relname""")
          .mapToMap().list());
      assertThat(privileges).extracting(p -> p.get("name")).contains("audit_log", "runs", "tenants");
      for (Map<String, Object> p : privileges) {
        boolean audit = p.get("name").equals("audit_log");
        // Outbox entries are inserted, and deleted once chained, but never edited.
        boolean outbox = p.get("name").equals("audit_outbox");
        assertThat(p).as("privileges on %s", p.get("name"))
            .containsEntry("sel", true)
            .containsEntry("ins", true)
            .containsEntry("upd", !audit && !outbox)
            .containsEntry("del", !audit)
            .containsEntry("trunc", false);
      }
    }
  }

  @Test
  void everyTenantOwnedTableHasForcedRowLevelSecurity() {
    try (Database db = Database.open(config)) {
      List<Map<String, Object>> tables = db.platform(h -> h.createQuery("""
              SELECT c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
                     (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                AND EXISTS (SELECT 1 FROM pg_attribute a
                            WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
              ORDER BY c.relname""")
          .mapToMap().list());
      List<String> names = tables.stream().map(t -> (String) t.get("name")).toList();
      assertThat(names).containsAll(CONTROL_PLANE).containsAll(TENANT_TABLES)
          .contains("experiment_tags", "datasets", "inputs", "input_tags");
      assertThat(tables)
          .filteredOn(t -> !CONTROL_PLANE.contains((String) t.get("name")))
          .isNotEmpty()
          .allSatisfy(t -> assertThat(t)
              .as("table %s must ENABLE and FORCE row level security, with a policy", t.get("name"))
              .containsEntry("rls", true)
              .containsEntry("forced", true)
              .hasEntrySatisfying("policies", n -> assertThat((Long) n).isPositive()));
    }
  }

  @Test
  void openRefusesASuperuserRole() {
    AtriumConfig asSuperuser = new AtriumConfig(config.host(), config.port(), config.dataDir(), config.databaseUrl(),
        System.getenv("ATRIUM_TEST_PG_SUPERUSER"), System.getenv("ATRIUM_TEST_PG_SUPERPASSWORD"), config.migrationUser(),
        config.migrationPassword(), 2, config.artifactRoot(), config.maxBodyBytes());
    assertThatThrownBy(() -> Database.open(asSuperuser).close())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(System.getenv("ATRIUM_TEST_PG_SUPERUSER"))
        .hasMessageContaining("BYPASSRLS");
  }
}
