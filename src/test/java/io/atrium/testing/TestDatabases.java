package io.atrium.testing;

import io.atrium.config.AtriumConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The databases every store and isolation test runs on: H2 always, and a real PostgreSQL when
 * {@code bin/test} started one (it exports {@code ATRIUM_TEST_PG_*} and {@code ATRIUM_REQUIRE_PG=1};
 * with the latter set, a missing PostgreSQL fails the run instead of skipping it).
 *
 * <p>Each call makes a fresh database, so test classes never share state and may run in parallel.
 * On PostgreSQL the schema is owned and migrated by {@code atrium_owner} and the server connects as
 * {@code atrium_app}, an ordinary role without BYPASSRLS, exactly as in production.
 */
public final class TestDatabases {
  public enum Kind {
    H2,
    POSTGRES
  }

  private TestDatabases() {}

  public static List<Kind> kinds() {
    List<Kind> kinds = new ArrayList<>(List.of(Kind.H2));
    if (postgresAvailable()) {
      kinds.add(Kind.POSTGRES);
    } else if ("1".equals(System.getenv("ATRIUM_REQUIRE_PG"))) {
      throw new IllegalStateException("ATRIUM_REQUIRE_PG=1 but ATRIUM_TEST_PG_* is not set: run the tests through bin/test");
    }
    return kinds;
  }

  public static boolean postgresAvailable() {
    return env("ATRIUM_TEST_PG_PORT").isPresent();
  }

  /** A configuration for a server on a fresh database of the given kind; port 0 (any free port). */
  public static AtriumConfig config(Kind kind, Path dataDir) {
    return switch (kind) {
      case H2 ->
          new AtriumConfig("127.0.0.1", 0, dataDir, AtriumConfig.defaultH2Url(dataDir), "atrium", "", Optional.empty(),
              Optional.empty(), 8, dataDir.resolve("artifacts"), 16L << 20);
      case POSTGRES -> {
        String db = createPostgresDatabase();
        yield new AtriumConfig("127.0.0.1", 0, dataDir, pgUrl(db), env("ATRIUM_TEST_PG_APP_USER").orElseThrow(),
            env("ATRIUM_TEST_PG_APP_PASSWORD").orElseThrow(), env("ATRIUM_TEST_PG_OWNER"),
            env("ATRIUM_TEST_PG_OWNER_PASSWORD"), 8, dataDir.resolve("artifacts"), 16L << 20);
      }
    };
  }

  public static String pgUrl(String database) {
    return "jdbc:postgresql://" + env("ATRIUM_TEST_PG_HOST").orElse("127.0.0.1") + ":"
        + env("ATRIUM_TEST_PG_PORT").orElseThrow() + "/" + database;
  }

  /** A new, empty database owned by the owner role, with the public schema usable only by it. */
  public static String createPostgresDatabase() {
    String name = "atrium_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    String owner = env("ATRIUM_TEST_PG_OWNER").orElseThrow();
    try (Connection c = superuser("postgres"); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + " OWNER " + owner);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database", e);
    }
    try (Connection c = superuser(name); Statement s = c.createStatement()) {
      s.execute("ALTER SCHEMA public OWNER TO " + owner);
      s.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC");
      s.execute("GRANT USAGE ON SCHEMA public TO " + env("ATRIUM_TEST_PG_APP_USER").orElseThrow());
    } catch (SQLException e) {
      throw new IllegalStateException("cannot prepare test database", e);
    }
    return name;
  }

  /** A superuser connection, for test set-up and for tampering the audit log behind the server's back. */
  public static Connection superuser(String database) throws SQLException {
    return DriverManager.getConnection(pgUrl(database), env("ATRIUM_TEST_PG_SUPERUSER").orElseThrow(),
        env("ATRIUM_TEST_PG_SUPERPASSWORD").orElseThrow());
  }

  private static Optional<String> env(String name) {
    return Optional.ofNullable(System.getenv(name)).filter(s -> !s.isBlank());
  }
}
