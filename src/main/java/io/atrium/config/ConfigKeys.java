package io.atrium.config;

import io.atrium.artifacts.ArtifactsConfig;
import io.atrium.common.MlflowError;
import io.atrium.limits.TenantLimits;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
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
  public static final Key DB_POOL_SIZE = key("db-pool-size", "", "Maximum database connections (empty: 16 on PostgreSQL; on the embedded H2, 2 x CPU cores, at least 4).");
  public static final Key ARTIFACT_ROOT = key("artifact-root", "", "Local artifact root. Empty: <data-dir>/artifacts.");
  public static final Key MAX_BODY_BYTES = key("max-body-bytes", "16777216", "Largest accepted request body for API calls, in bytes.");

  public static final Key ARTIFACT_BACKEND = key("artifact-backend", "local", "Artifact storage: local (a directory) or s3 (an S3-compatible store).");
  public static final Key S3_BUCKET = key("s3-bucket", "", "Bucket of the s3 artifact backend.");
  public static final Key S3_PREFIX = key("s3-prefix", "", "Key prefix inside the bucket; each tenant lives under <prefix>/<tenant id>/.");
  public static final Key S3_ENDPOINT = key("s3-endpoint", "", "Endpoint of an S3-compatible server (empty: AWS).");
  public static final Key S3_REGION = key("s3-region", "us-east-1", "Signing region of the s3 backend.");
  public static final Key S3_ACCESS_KEY = key("s3-access-key", "", "Static S3 access key (empty: the AWS SDK's default credential chain).");
  public static final Key S3_SECRET_KEY = key("s3-secret-key", "", "Static S3 secret key, with --s3-access-key.");
  public static final Key S3_PATH_STYLE = key("s3-path-style", "true", "Path-style S3 addressing (most S3-compatible servers need it).");
  public static final Key ARTIFACT_RETENTION_DAYS = key("artifact-retention-days", "30", "Days the artifacts of deleted runs are kept before 'atrium gc' removes them.");
  public static final Key LIMIT_RPS = key("limit-rps", "500", "Default per-tenant request rate (requests/s, token bucket refill), per replica.");
  public static final Key LIMIT_BURST = key("limit-burst", "1000", "Default per-tenant burst (token bucket size).");
  public static final Key LIMIT_CONCURRENCY = key("limit-concurrency", "32", "Default per-tenant requests in flight at once.");
  public static final Key LIMIT_RUNS_PER_MINUTE = key("limit-runs-per-minute", "600", "Default per-tenant run creations per minute.");
  public static final Key LIMIT_STORAGE_BYTES = key("limit-storage-bytes", "", "Default per-tenant artifact storage quota in bytes (empty: unlimited).");
  public static final Key ADMISSION_CAPACITY = key("admission-capacity", "", "In-flight requests the server shares fairly between tenants once reached (empty: 2 x db pool size, at least 32).");

  public static final List<Key> SERVER_KEYS =
      List.of(HOST, PORT, DATA_DIR, DB_URL, DB_USER, DB_PASSWORD, DB_MIGRATION_USER, DB_MIGRATION_PASSWORD,
          DB_POOL_SIZE, ARTIFACT_ROOT, MAX_BODY_BYTES, ARTIFACT_BACKEND, S3_BUCKET, S3_PREFIX, S3_ENDPOINT, S3_REGION,
          S3_ACCESS_KEY, S3_SECRET_KEY, S3_PATH_STYLE, ARTIFACT_RETENTION_DAYS, LIMIT_RPS, LIMIT_BURST,
          LIMIT_CONCURRENCY, LIMIT_RUNS_PER_MINUTE, LIMIT_STORAGE_BYTES, ADMISSION_CAPACITY);

  /** Read by the CLI's client commands, not by the server; allowed in the environment. */
  public static final List<String> CLIENT_ENV = List.of("ATRIUM_TOKEN", "ATRIUM_URL", "ATRIUM_JAVA_OPTS", "ATRIUM_HOME");

  /**
   * Prefixes of variables that belong to the project's own tooling (bin/test, the conformance
   * suite), so a developer who sourced a test environment can still start a server.
   */
  public static final List<String> TOOLING_ENV_PREFIXES =
      List.of("ATRIUM_TEST_", "ATRIUM_REQUIRE_", "ATRIUM_CONFORMANCE_", "ATRIUM_JAR", "ATRIUM_LIB");

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
          && !CLIENT_ENV.contains(name)
          && TOOLING_ENV_PREFIXES.stream().noneMatch(name::startsWith)) {
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
    int poolSize = v.get(DB_POOL_SIZE.name()).isBlank()
        ? AtriumConfig.defaultPoolSize(dbUrl, Runtime.getRuntime().availableProcessors())
        : parse(v, DB_POOL_SIZE, Integer::parseInt);
    String storage = v.get(LIMIT_STORAGE_BYTES.name()).trim();
    TenantLimits limits;
    try {
      limits =
          new TenantLimits(
              parse(v, LIMIT_RPS, Double::parseDouble),
              parse(v, LIMIT_BURST, Integer::parseInt),
              parse(v, LIMIT_CONCURRENCY, Integer::parseInt),
              parse(v, LIMIT_RUNS_PER_MINUTE, Double::parseDouble),
              storage.isEmpty() ? OptionalLong.empty() : OptionalLong.of(parse(v, LIMIT_STORAGE_BYTES, Long::parseLong)));
    } catch (MlflowError e) {
      throw new ConfigException("Invalid default limits: " + e.getMessage());
    }
    String capacity = v.get(ADMISSION_CAPACITY.name()).trim();
    String endpoint = v.get(S3_ENDPOINT.name()).trim();
    ArtifactsConfig artifacts;
    try {
      artifacts =
          new ArtifactsConfig(
              v.get(ARTIFACT_BACKEND.name()).trim(),
              artifactRoot,
              v.get(S3_BUCKET.name()),
              v.get(S3_PREFIX.name()),
              endpoint.isEmpty() ? Optional.empty() : Optional.of(URI.create(endpoint)),
              v.get(S3_REGION.name()),
              optional(v.get(S3_ACCESS_KEY.name())),
              optional(v.get(S3_SECRET_KEY.name())),
              parse(v, S3_PATH_STYLE, ConfigKeys::parseBoolean),
              parse(v, ARTIFACT_RETENTION_DAYS, Integer::parseInt));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("Invalid --s3-endpoint / ATRIUM_S3_ENDPOINT: " + endpoint);
    }
    return new AtriumConfig(
        v.get(HOST.name()),
        parse(v, PORT, Integer::parseInt),
        dataDir,
        dbUrl,
        v.get(DB_USER.name()),
        v.get(DB_PASSWORD.name()),
        optional(v.get(DB_MIGRATION_USER.name())),
        optional(v.get(DB_MIGRATION_PASSWORD.name())),
        poolSize,
        artifactRoot,
        parse(v, MAX_BODY_BYTES, Long::parseLong),
        artifacts,
        limits,
        capacity.isEmpty() ? AtriumConfig.defaultAdmissionCapacity(poolSize) : parse(v, ADMISSION_CAPACITY, Integer::parseInt));
  }

  private static boolean parseBoolean(String s) {
    return switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new IllegalArgumentException(s);
    };
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
