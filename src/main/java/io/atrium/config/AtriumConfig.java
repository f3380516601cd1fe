package io.atrium.config;

import static java.util.Objects.requireNonNull;

import io.atrium.artifacts.ArtifactsConfig;
import io.atrium.limits.TenantLimits;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

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
    long maxBodyBytes,
    ArtifactsConfig artifacts,
    TenantLimits limitDefaults,
    int admissionCapacity) {

  /** Platform-wide limit defaults when none are configured; see ConfigKeys for the keys. */
  public static final TenantLimits DEFAULT_LIMITS = new TenantLimits(500, 1000, 32, 600, OptionalLong.empty());

  /** The core settings with local artifacts under {@code artifactRoot} and default limits. */
  public AtriumConfig(
      String host, int port, Path dataDir, String databaseUrl, String databaseUser, String databasePassword,
      Optional<String> migrationUser, Optional<String> migrationPassword, int databasePoolSize, Path artifactRoot,
      long maxBodyBytes) {
    this(host, port, dataDir, databaseUrl, databaseUser, databasePassword, migrationUser, migrationPassword,
        databasePoolSize, artifactRoot, maxBodyBytes, ArtifactsConfig.local(artifactRoot), DEFAULT_LIMITS,
        defaultAdmissionCapacity(databasePoolSize));
  }

  /** The pool size when none is configured: 16 on PostgreSQL; on H2 2 per CPU core, at least 4. */
  public static int defaultPoolSize(String databaseUrl, int cores) {
    // PostgreSQL's transactions spend much of their time waiting on another process (the network,
    // its disk), so more connections than cores keep the server busy. H2 runs inside this process: a
    // transaction is this process's CPU from start to commit (the group commit's file write happens
    // after the connection is back, Database.inTenant). Connections past a couple per core only
    // queue on the same cores, and virtual threads are not time-sliced: a request of another tenant
    // that becomes runnable waits behind every transaction running ahead of it. With 16 connections
    // on 2 cores a flooding tenant's burst ran 14 transactions at once and stalled a quiet tenant's
    // requests for 60-170 ms; with 4 (3 for tenants, at most 2 each) the quiet tenant's worst
    // request in that second was 4-19 ms (bin/bench noisy-neighbour, 2026-12-03; bench/README.md).
    return isPostgres(databaseUrl) ? 16 : Math.max(4, 2 * cores);
  }

  /**
   * Admission's capacity when none is configured: twice the pool, at least 32. In flight is more
   * than in a transaction (reading the body, writing the answer, waiting for the group commit), so a
   * small H2 pool must not shrink it: a lone tenant keeps its concurrency limit's worth in flight.
   */
  public static int defaultAdmissionCapacity(int poolSize) {
    return Math.max(32, 2 * poolSize);
  }

  public AtriumConfig {
    requireNonNull(host, "host");
    requireNonNull(dataDir, "dataDir");
    requireNonNull(databaseUrl, "databaseUrl");
    requireNonNull(databaseUser, "databaseUser");
    requireNonNull(databasePassword, "databasePassword");
    requireNonNull(migrationUser, "migrationUser");
    requireNonNull(migrationPassword, "migrationPassword");
    requireNonNull(artifactRoot, "artifactRoot");
    requireNonNull(artifacts, "artifacts");
    requireNonNull(limitDefaults, "limitDefaults");
    if (!artifacts.localRoot().equals(artifactRoot)) {
      throw new IllegalArgumentException("artifactRoot and artifacts.localRoot() must be the same directory");
    }
    if (admissionCapacity < 1 || admissionCapacity > 100_000) {
      throw new ConfigException(ConfigKeys.ADMISSION_CAPACITY.flag() + " / " + ConfigKeys.ADMISSION_CAPACITY.env()
          + " must be 1..100000, got " + admissionCapacity);
    }
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
          + " must be jdbc:h2:... or jdbc:postgresql:..., got " + withoutQuery(databaseUrl));
    }
  }

  /** A JDBC URL without its parameters, which may carry a password, for messages. */
  private static String withoutQuery(String url) {
    int q = url.indexOf('?');
    int semi = url.indexOf(';');
    int cut = q < 0 ? semi : semi < 0 ? q : Math.min(q, semi);
    return cut < 0 ? url : url.substring(0, cut) + "...";
  }

  public boolean isPostgres() {
    return isPostgres(databaseUrl);
  }

  private static boolean isPostgres(String databaseUrl) {
    return databaseUrl.startsWith("jdbc:postgresql:");
  }

  /**
   * The embedded H2 database file of a data directory (the default database). Every change is in
   * the file before its request is answered, by Atrium's group commit (io.atrium.db.H2GroupCommit),
   * which writes the commits of many transactions at once; so H2's own writes are only a fallback:
   * {@code WRITE_DELAY} of 10 minutes (H2's default of 500 ms lost the last half second of
   * acknowledged writes to a kill, CrashDurabilityIT, and 0 wrote every commit by itself, 23 % of
   * the CPU with 2,300 commits/s). {@code QUERY_CACHE_SIZE=64}: a request runs a dozen distinct
   * statements and H2's default cache of 8 parsed statements per connection re-parsed most of them
   * every time. {@code CACHE_SIZE} (KiB): see {@link #H2_CACHE_KB}.
   */
  public static String defaultH2Url(Path dataDir) {
    return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("db").resolve("atrium") + ";DB_CLOSE_ON_EXIT=FALSE"
        + ";WRITE_DELAY=600000;QUERY_CACHE_SIZE=64;CACHE_SIZE=" + H2_CACHE_KB;
  }

  /**
   * H2's page cache, 16 MiB (H2's own default), whatever the heap. It lives in the Java heap as page
   * objects, and every page a commit writes enters it; with a quarter of the heap (256 MiB of a
   * 1 GiB heap) those pages lived long enough to be copied by every young collection: pauses of
   * 60 to 110 ms every 9 s beside a flooding tenant, which set the other tenants' p99 (15 of the 18
   * slowest requests of the noisy-neighbour benchmark overlapped one). With 16 MiB the pauses are
   * 30 ms and W3's run search over 10,000 runs is a fifth slower (17 to 21 ms at p50).
   */
  static final long H2_CACHE_KB = 16 * 1024;
}
