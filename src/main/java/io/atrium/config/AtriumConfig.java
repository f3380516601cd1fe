package io.atrium.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything the server needs to start, validated once. Each field has one flag and one
 * {@code ATRIUM_*} environment variable; {@link ConfigKeys} is the single list of them.
 */
public record AtriumConfig(
    String host,
    int port,
    Path dataDir,
    String databaseUrl,
    String databaseUser,
    String databasePassword,
    Optional<String> migrationUser,
    Optional<String> migrationPassword,
    int databasePoolSize,
    Path artifactRoot,
    long maxBodyBytes) {

  public AtriumConfig {
    requireNonNull(host, "host");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(databaseUrl, "databaseUrl");
    requireNonNull(databaseUser, "databaseUser");
    requireNonNull(databasePassword, "databasePassword");
    requireNonNull(migrationUser, "migrationUser");
    requireNonNull(migrationPassword, "migrationPassword");
    requireNonNull(artifactRoot, "artifactRoot");
    // Messages name the flag and the variable (ConfigException's promise), so an operator who set
    // ATRIUM_DB_POOL_SIZE=0 is told which of the two to fix.
    if (port < 0 || port > 65535) {
      throw new ConfigException(ConfigKeys.PORT.flag() + " / " + ConfigKeys.PORT.env() + " must be 0..65535, got " + port);
    }
    if (databasePoolSize < 1 || databasePoolSize > 1000) {
      throw new ConfigException(ConfigKeys.DB_POOL_SIZE.flag() + " / " + ConfigKeys.DB_POOL_SIZE.env()
          + " must be 1..1000, got " + databasePoolSize);
    }
    if (maxBodyBytes < 1024) {
      throw new ConfigException(ConfigKeys.MAX_BODY_BYTES.flag() + " / " + ConfigKeys.MAX_BODY_BYTES.env()
          + " must be at least 1024, got " + maxBodyBytes);
    }
    if (!databaseUrl.startsWith("jdbc:h2:") && !databaseUrl.startsWith("jdbc:postgresql:")) {
      throw new ConfigException(ConfigKeys.DB_URL.flag() + " / " + ConfigKeys.DB_URL.env()
          + " must be jdbc:h2:... or jdbc:postgresql:..., got " + databaseUrl);
    }
  }

  public boolean isPostgres() {
    return databaseUrl.startsWith("jdbc:postgresql:");
  }

  /** The embedded H2 database file of a data directory (the default database). */
  public static String defaultH2Url(Path dataDir) {
    return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("db").resolve("atrium") + ";DB_CLOSE_ON_EXIT=FALSE";
  }
}
