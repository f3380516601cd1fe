package io.atrium.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The single list of server settings: key, default and description. Values come from flags
 * (highest), then {@code ATRIUM_*} environment variables, then the default. An {@code ATRIUM_*}
 * variable that is not listed here (nor a client-side key) stops the server at start-up, so a typo
 * never silently falls back to a default.
 */
public final class ConfigKeys {
  public record Key(String name, String env, String flag, String defaultValue, String description) {}

  public static final Key HOST = key("host", "127.0.0.1", "Bind address. Use 0.0.0.0 to listen on all interfaces.");
  public static final Key PORT = key("port", "5000", "HTTP port (0 picks a free one).");
  public static final Key DATA_DIR = key("data-dir", "./atrium-data", "Directory for the embedded database, artifacts and admin.token.");
  public static final Key DB_URL = key("db-url", "", "JDBC URL. Empty: embedded H2 file under <data-dir>/db. Production: jdbc:postgresql://host:5432/atrium.");
  public static final Key DB_USER = key("db-user", "atrium", "Database user the server runs as (on PostgreSQL: a role without BYPASSRLS).");
  public static final Key DB_PASSWORD = key("db-password", "", "Database password.");
  public static final Key DB_MIGRATION_USER = key("db-migration-user", "", "Role that owns the schema and runs migrations (PostgreSQL). Empty: the db user.");
  public static final Key DB_MIGRATION_PASSWORD = key("db-migration-password", "", "Password of the migration role.");
  public static final Key DB_POOL_SIZE = key("db-pool-size", "16", "Maximum database connections.");
  public static final Key ARTIFACT_ROOT = key("artifact-root", "", "Local artifact root. Empty: <data-dir>/artifacts.");
  public static final Key MAX_BODY_BYTES = key("max-body-bytes", "16777216", "Largest accepted request body for API calls, in bytes.");

  public static final List<Key> SERVER_KEYS =
      List.of(HOST, PORT, DATA_DIR, DB_URL, DB_USER, DB_PASSWORD, DB_MIGRATION_USER, DB_MIGRATION_PASSWORD,
          DB_POOL_SIZE, ARTIFACT_ROOT, MAX_BODY_BYTES);

  /** Read by the CLI's client commands, not by the server; allowed in the environment. */
  public static final List<String> CLIENT_ENV = List.of("ATRIUM_TOKEN", "ATRIUM_URL", "ATRIUM_JAVA_OPTS", "ATRIUM_HOME");

  private ConfigKeys() {}

  private static Key key(String name, String def, String description) {
    return new Key(name, "ATRIUM_" + name.toUpperCase().replace('-', '_'), "--" + name, def, description);
  }

  /**
   * Resolves the configuration.
   *
   * @param flags values given as flags, by key name (absent keys are not given)
   * @param env the process environment
   */
  public static AtriumConfig resolve(Map<String, String> flags, Map<String, String> env) {
    for (String name : env.keySet()) {
      if (name.startsWith("ATRIUM_")
          && SERVER_KEYS.stream().noneMatch(k -> k.env().equals(name))
          && !CLIENT_ENV.contains(name)) {
        throw new ConfigException("Unknown setting " + name + ". Known: " + knownEnvNames());
      }
    }
    for (String name : flags.keySet()) {
      if (SERVER_KEYS.stream().noneMatch(k -> k.name().equals(name))) {
        throw new ConfigException("Unknown setting --" + name);
      }
    }
    Map<String, String> v = new LinkedHashMap<>();
    for (Key k : SERVER_KEYS) {
      String value = flags.containsKey(k.name()) ? flags.get(k.name()) : env.getOrDefault(k.env(), k.defaultValue());
      v.put(k.name(), value);
    }
    Path dataDir = Path.of(v.get(DATA_DIR.name())).toAbsolutePath().normalize();
    String dbUrl = v.get(DB_URL.name()).isBlank() ? AtriumConfig.defaultH2Url(dataDir) : v.get(DB_URL.name());
    Path artifactRoot =
        v.get(ARTIFACT_ROOT.name()).isBlank()
            ? dataDir.resolve("artifacts")
            : Path.of(v.get(ARTIFACT_ROOT.name())).toAbsolutePath().normalize();
    return new AtriumConfig(
        v.get(HOST.name()),
        parse(v, PORT, Integer::parseInt),
        dataDir,
        dbUrl,
        v.get(DB_USER.name()),
        v.get(DB_PASSWORD.name()),
        optional(v.get(DB_MIGRATION_USER.name())),
        optional(v.get(DB_MIGRATION_PASSWORD.name())),
        parse(v, DB_POOL_SIZE, Integer::parseInt),
        artifactRoot,
        parse(v, MAX_BODY_BYTES, Long::parseLong));
  }

  private static Optional<String> optional(String s) {
    return s == null || s.isBlank() ? Optional.empty() : Optional.of(s);
  }

  private static <T> T parse(Map<String, String> v, Key key, Function<String, T> parser) {
    String raw = v.get(key.name());
    try {
      return parser.apply(raw.trim());
    } catch (RuntimeException e) {
      throw new ConfigException("Invalid value for " + key.flag() + " / " + key.env() + ": '" + raw + "'");
    }
  }

  private static String knownEnvNames() {
    return String.join(", ", SERVER_KEYS.stream().map(Key::env).toList()) + ", " + String.join(", ", CLIENT_ENV);
  }
}
