package io.atrium.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.atrium.config.ConfigKeys.Key;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pins every setting's name, variable, flag and default: changing one must be a deliberate edit here. */
class ConfigKeysTest {
  private static final Map<String, String> NO_FLAGS = Map.of();
  private static final Map<String, String> NO_ENV = Map.of();

  @Test
  void everyKeyIsPinned() {
    assertThat(ConfigKeys.SERVER_KEYS)
        .extracting(Key::name, Key::env, Key::flag, Key::defaultValue)
        .containsExactly(
            tuple("host", "ATRIUM_HOST", "--host", "127.0.0.1"),
            tuple("port", "ATRIUM_PORT", "--port", "5000"),
            tuple("data-dir", "ATRIUM_DATA_DIR", "--data-dir", "./atrium-data"),
            tuple("db-url", "ATRIUM_DB_URL", "--db-url", ""),
            tuple("db-user", "ATRIUM_DB_USER", "--db-user", "atrium"),
            tuple("db-password", "ATRIUM_DB_PASSWORD", "--db-password", ""),
            tuple("db-migration-user", "ATRIUM_DB_MIGRATION_USER", "--db-migration-user", ""),
            tuple(
                "db-migration-password", "ATRIUM_DB_MIGRATION_PASSWORD", "--db-migration-password", ""),
            tuple("db-pool-size", "ATRIUM_DB_POOL_SIZE", "--db-pool-size", ""),
            tuple("artifact-root", "ATRIUM_ARTIFACT_ROOT", "--artifact-root", ""),
            tuple("max-body-bytes", "ATRIUM_MAX_BODY_BYTES", "--max-body-bytes", "16777216"),
            tuple("artifact-backend", "ATRIUM_ARTIFACT_BACKEND", "--artifact-backend", "local"),
            tuple("s3-bucket", "ATRIUM_S3_BUCKET", "--s3-bucket", ""),
            tuple("s3-prefix", "ATRIUM_S3_PREFIX", "--s3-prefix", ""),
            tuple("s3-endpoint", "ATRIUM_S3_ENDPOINT", "--s3-endpoint", ""),
            tuple("s3-region", "ATRIUM_S3_REGION", "--s3-region", "us-east-1"),
            tuple("s3-access-key", "ATRIUM_S3_ACCESS_KEY", "--s3-access-key", ""),
            tuple("s3-secret-key", "ATRIUM_S3_SECRET_KEY", "--s3-secret-key", ""),
            tuple("s3-path-style", "ATRIUM_S3_PATH_STYLE", "--s3-path-style", "true"),
            tuple("artifact-retention-days", "ATRIUM_ARTIFACT_RETENTION_DAYS", "--artifact-retention-days", "30"),
            tuple("limit-rps", "ATRIUM_LIMIT_RPS", "--limit-rps", "500"),
            tuple("limit-burst", "ATRIUM_LIMIT_BURST", "--limit-burst", "1000"),
            tuple("limit-concurrency", "ATRIUM_LIMIT_CONCURRENCY", "--limit-concurrency", "32"),
            tuple("limit-runs-per-minute", "ATRIUM_LIMIT_RUNS_PER_MINUTE", "--limit-runs-per-minute", "600"),
            tuple("limit-storage-bytes", "ATRIUM_LIMIT_STORAGE_BYTES", "--limit-storage-bytes", ""),
            tuple("admission-capacity", "ATRIUM_ADMISSION_CAPACITY", "--admission-capacity", ""));
    assertThat(ConfigKeys.CLIENT_ENV).containsExactly("ATRIUM_TOKEN", "ATRIUM_URL", "ATRIUM_JAVA_OPTS", "ATRIUM_HOME");
    assertThat(ConfigKeys.TOOLING_ENV_PREFIXES)
        .containsExactly("ATRIUM_TEST_", "ATRIUM_REQUIRE_", "ATRIUM_CONFORMANCE_", "ATRIUM_JAR", "ATRIUM_LIB");
    assertThat(ConfigKeys.SERVER_KEYS).allSatisfy(k -> assertThat(k.description()).isNotBlank());
  }

  @Test
  void defaultsGiveALocalServerOnEmbeddedH2UnderTheDataDir() {
    AtriumConfig c = ConfigKeys.resolve(NO_FLAGS, NO_ENV);
    Path dataDir = Path.of("./atrium-data").toAbsolutePath().normalize();
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(5000);
    assertThat(c.dataDir()).isEqualTo(dataDir);
    assertThat(c.isPostgres()).isFalse();
    assertThat(c.databaseUrl())
        .isEqualTo(AtriumConfig.defaultH2Url(dataDir))
        .isEqualTo("jdbc:h2:file:" + dataDir.resolve("db").resolve("atrium")
            + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=600000;QUERY_CACHE_SIZE=64;CACHE_SIZE=16384");
    assertThat(c.databaseUser()).isEqualTo("atrium");
    assertThat(c.databasePassword()).isEmpty();
    assertThat(c.migrationUser()).isEmpty();
    assertThat(c.migrationPassword()).isEmpty();
    assertThat(c.databasePoolSize()).isEqualTo(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    assertThat(c.artifactRoot()).isEqualTo(dataDir.resolve("artifacts"));
    assertThat(c.maxBodyBytes()).isEqualTo(16L << 20);
    assertThat(c.artifacts().backend()).isEqualTo("local");
    assertThat(c.artifacts().localRoot()).isEqualTo(dataDir.resolve("artifacts"));
    assertThat(c.artifacts().gcRetentionDays()).isEqualTo(30);
    assertThat(c.limitDefaults()).isEqualTo(AtriumConfig.DEFAULT_LIMITS);
    assertThat(c.admissionCapacity()).isEqualTo(32);
  }

  @Test
  void limitDefaultsAndTheS3BackendComeFromTheirKeys() {
    AtriumConfig c =
        ConfigKeys.resolve(
            Map.of("limit-rps", "50", "limit-storage-bytes", "1048576", "admission-capacity", "7"),
            Map.of("ATRIUM_ARTIFACT_BACKEND", "s3", "ATRIUM_S3_BUCKET", "ml", "ATRIUM_S3_ENDPOINT", "http://127.0.0.1:9000",
                "ATRIUM_S3_PATH_STYLE", "false"));
    assertThat(c.limitDefaults().requestsPerSecond()).isEqualTo(50);
    assertThat(c.limitDefaults().storageBytes()).hasValue(1048576);
    assertThat(c.admissionCapacity()).isEqualTo(7);
    assertThat(c.artifacts().backend()).isEqualTo("s3");
    assertThat(c.artifacts().s3Bucket()).isEqualTo("ml");
    assertThat(c.artifacts().s3Endpoint()).hasValueSatisfying(u -> assertThat(u.getPort()).isEqualTo(9000));
    assertThat(c.artifacts().s3PathStyle()).isFalse();
  }

  @Test
  void testToolingVariablesDoNotStopTheServer() {
    assertThat(ConfigKeys.resolve(NO_FLAGS, Map.of("ATRIUM_TEST_PG_PORT", "5432", "ATRIUM_REQUIRE_PG", "1")).port())
        .isEqualTo(5000);
  }

  @Test
  void theDataDirMovesTheDefaultDatabaseAndArtifacts(@TempDir Path tmp) {
    AtriumConfig c = ConfigKeys.resolve(Map.of("data-dir", tmp.toString()), NO_ENV);
    assertThat(c.databaseUrl()).startsWith("jdbc:h2:file:" + tmp.toAbsolutePath().resolve("db"));
    assertThat(c.artifactRoot()).isEqualTo(tmp.toAbsolutePath().normalize().resolve("artifacts"));
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsDefaults() {
    AtriumConfig c =
        ConfigKeys.resolve(
            Map.of("port", "7000", "db-user", "flag-user"),
            Map.of("ATRIUM_PORT", "6000", "ATRIUM_DB_USER", "env-user", "ATRIUM_DB_POOL_SIZE", "4", "ATRIUM_HOST", "0.0.0.0"));
    assertThat(c.port()).isEqualTo(7000);
    assertThat(c.databaseUser()).isEqualTo("flag-user");
    assertThat(c.databasePoolSize()).isEqualTo(4);
    assertThat(c.host()).isEqualTo("0.0.0.0");
    assertThat(c.maxBodyBytes()).isEqualTo(16L << 20);
    assertThat(c.admissionCapacity()).isEqualTo(32); // twice the pool, at least 32
  }

  @Test
  void thePoolDefaultsTo16OnPostgresAndTwoPerCoreOnH2() {
    assertThat(AtriumConfig.defaultPoolSize("jdbc:postgresql://db:5432/atrium", 2)).isEqualTo(16);
    assertThat(AtriumConfig.defaultPoolSize("jdbc:postgresql://db:5432/atrium", 64)).isEqualTo(16);
    assertThat(AtriumConfig.defaultPoolSize("jdbc:h2:file:/x/atrium", 1)).isEqualTo(4);
    assertThat(AtriumConfig.defaultPoolSize("jdbc:h2:file:/x/atrium", 2)).isEqualTo(4);
    assertThat(AtriumConfig.defaultPoolSize("jdbc:h2:file:/x/atrium", 8)).isEqualTo(16);
    assertThat(AtriumConfig.defaultAdmissionCapacity(4)).isEqualTo(32);
    assertThat(AtriumConfig.defaultAdmissionCapacity(16)).isEqualTo(32);
    assertThat(AtriumConfig.defaultAdmissionCapacity(40)).isEqualTo(80);
  }

  @Test
  void postgresSettingsComeThrough() {
    AtriumConfig c =
        ConfigKeys.resolve(
            NO_FLAGS,
            Map.of(
                "ATRIUM_DB_URL", "jdbc:postgresql://db.internal:5432/atrium",
                "ATRIUM_DB_USER", "atrium_app",
                "ATRIUM_DB_PASSWORD", "app-secret",
                "ATRIUM_DB_MIGRATION_USER", "atrium_owner",
                "ATRIUM_DB_MIGRATION_PASSWORD", "owner-secret"));
    assertThat(c.isPostgres()).isTrue();
    assertThat(c.databaseUrl()).isEqualTo("jdbc:postgresql://db.internal:5432/atrium");
    assertThat(c.migrationUser()).contains("atrium_owner");
    assertThat(c.migrationPassword()).contains("owner-secret");
    assertThat(c.databasePassword()).isEqualTo("app-secret");
  }

  @Test
  void anUnknownAtriumVariableStopsStartUpAndIsNamed() {
    assertThatThrownBy(() -> ConfigKeys.resolve(NO_FLAGS, Map.of("ATRIUM_DB_POOLSIZE", "4", "ATRIUM_PORT", "6000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("ATRIUM_DB_POOLSIZE")
        .hasMessageContaining("ATRIUM_DB_POOL_SIZE");
  }

  @Test
  void clientSideAndForeignVariablesAreAccepted() {
    Map<String, String> env =
        Map.of(
            "ATRIUM_TOKEN", "atr_0123456789abcdef01234567_" + "A".repeat(43),
            "ATRIUM_URL", "http://127.0.0.1:5000",
            "ATRIUM_JAVA_OPTS", "-Xmx1g",
            "ATRIUM_HOME", "/opt/atrium",
            "PATH", "/usr/bin",
            "MLFLOW_TRACKING_URI", "http://elsewhere",
            "atrium_port", "1");
    assertThat(ConfigKeys.resolve(NO_FLAGS, env).port()).isEqualTo(5000);
  }

  @Test
  void anUnknownFlagIsRefused() {
    assertThatThrownBy(() -> ConfigKeys.resolve(Map.of("db-pool", "4"), NO_ENV))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--db-pool");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "port           | http   | ATRIUM_PORT",
        "port           | 70000  | ATRIUM_PORT",
        "port           | -1     | ATRIUM_PORT",
        "port           | ''     | ATRIUM_PORT",
        "db-pool-size   | 0      | ATRIUM_DB_POOL_SIZE",
        "db-pool-size   | 1001   | ATRIUM_DB_POOL_SIZE",
        "db-pool-size   | sixteen| ATRIUM_DB_POOL_SIZE",
        "max-body-bytes | 100    | ATRIUM_MAX_BODY_BYTES",
        "max-body-bytes | 16MB   | ATRIUM_MAX_BODY_BYTES",
        "db-url         | postgres://db/atrium | ATRIUM_DB_URL",
      })
  void badValuesFailWithAMessageNamingFlagAndVariable(String key, String value, String env) {
    assertRefused(Map.of(key, value), NO_ENV, key, env, value);
    assertRefused(NO_FLAGS, Map.of(env, value), key, env, value);
  }

  private static void assertRefused(Map<String, String> flags, Map<String, String> env, String key, String envName,
      String value) {
    assertThatThrownBy(() -> ConfigKeys.resolve(flags, env))
        .as("%s=%s", key, value)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--" + key)
        .hasMessageContaining(envName)
        .hasMessageContaining(value);
  }

  @Test
  void surroundingWhitespaceInNumbersIsTolerated() {
    assertThat(ConfigKeys.resolve(Map.of("port", " 8080 "), NO_ENV).port()).isEqualTo(8080);
  }

  @Test
  void directlyBuiltConfigsAreValidatedToo() {
    assertThatThrownBy(
            () -> new AtriumConfig("127.0.0.1", 5000, Path.of("d"), "jdbc:h2:mem:x", "atrium", "", Optional.empty(),
                Optional.empty(), 0, Path.of("a"), 1 << 20))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("ATRIUM_DB_POOL_SIZE");
  }
}
