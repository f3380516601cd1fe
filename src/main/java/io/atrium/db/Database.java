package io.atrium.db;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.atrium.config.AtriumConfig;
import io.atrium.config.ConfigException;
import io.atrium.tenancy.TenantId;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata store. There are exactly two ways in, and neither leaks a connection:
 *
 * <ul>
 *   <li>{@link #inTenant} for data-plane (tenant-owned) tables: one transaction, and on PostgreSQL
 *       the transaction-local setting {@code atrium.tenant_id} that the row-level-security policies
 *       read, so even a query that forgets its {@code tenant_id = :tenant} predicate sees only this
 *       tenant's rows;
 *   <li>{@link #platform} for control-plane tables (tenants, principals, tokens, audit). On
 *       PostgreSQL the RLS setting is left empty there, so tenant-owned rows are invisible.
 * </ul>
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  /** Work inside one transaction. */
  @FunctionalInterface
  public interface Tx<R> {
    R apply(Handle handle);
  }

  private final HikariDataSource dataSource;
  private final Jdbi jdbi;
  private final Dialect dialect;
  private final ConnectionShare share;
  /** Embedded H2 only: runs the housekeeping H2 itself skips (see H2Housekeeping). */
  private final Optional<H2Housekeeping> housekeeping;
  /** Embedded H2 only: a changing transaction is answered once its changes are in the file. */
  private final Optional<H2GroupCommit> groupCommit;

  private Database(HikariDataSource dataSource, Dialect dialect, int poolSize) {
    this.dataSource = dataSource;
    this.jdbi = Jdbi.create(dataSource);
    this.dialect = dialect;
    this.share = ConnectionShare.forPool(poolSize, 10_000_000_000L);
    Optional<org.h2.mvstore.MVStore> h2 = dialect == Dialect.H2 ? H2Housekeeping.fileStoreOf(dataSource) : Optional.empty();
    this.housekeeping = h2.flatMap(H2Housekeeping::start);
    this.groupCommit = h2.map(H2GroupCommit::new);
    // What the migrations wrote, before anything is served from it.
    groupCommit.ifPresent(H2GroupCommit::sync);
  }

  /** Opens the pool, applies pending migrations and checks that the role cannot bypass RLS. */
  public static Database open(AtriumConfig config) {
    Dialect dialect = config.isPostgres() ? Dialect.POSTGRES : Dialect.H2;
    migrate(config, dialect);
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(config.databaseUrl());
    hc.setUsername(config.databaseUser());
    hc.setPassword(config.databasePassword());
    hc.setMaximumPoolSize(config.databasePoolSize());
    hc.setMinimumIdle(Math.min(2, config.databasePoolSize()));
    hc.setPoolName("atrium-db");
    hc.setAutoCommit(true);
    // Every transaction runs at READ COMMITTED, set once per connection here. Asking Jdbi for the level
    // per transaction made pgjdbc check and restore it around each one: six "SHOW TRANSACTION
    // ISOLATION LEVEL" round trips per transaction, more than the transaction's own statements.
    hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    if (dialect == Dialect.POSTGRES) {
      // A log-batch's metric points go as one multi-row INSERT per ~128 rows instead of one
      // round trip each (update counts then read "success, count unknown"; no caller uses them).
      hc.addDataSourceProperty("reWriteBatchedInserts", "true");
      // One request, one backend process: a parallel query's workers are further processes, each
      // taking a core, outside the tenant's share of the pool (ConnectionShare), so one tenant's big
      // search could take the database's cores from the others. Atrium's statements read a page's
      // worth of rows through indexes, where starting a worker costs more than it saves: a W3
      // search (10,000 runs) took 17 ms with one worker and 5 ms without.
      hc.setConnectionInitSql("SET max_parallel_workers_per_gather = 0");
    }
    hc.setConnectionTimeout(10_000);
    Database db = new Database(new HikariDataSource(hc), dialect, config.databasePoolSize());
    if (dialect == Dialect.POSTGRES) {
      db.refuseRlsBypass(config.databaseUser());
    }
    return db;
  }

  private static void migrate(AtriumConfig config, Dialect dialect) {
    List<String> locations = new ArrayList<>(List.of("classpath:db/migration/common"));
    if (dialect == Dialect.POSTGRES) {
      locations.add("classpath:db/migration/postgresql");
    }
    String user = config.migrationUser().orElse(config.databaseUser());
    String password = config.migrationUser().isPresent() ? config.migrationPassword().orElse("") : config.databasePassword();
    Flyway.configure()
        .dataSource(config.databaseUrl(), user, password)
        .locations(locations.toArray(String[]::new))
        .placeholders(Map.of("app_role", config.databaseUser()))
        .load()
        .migrate();
  }

  private void refuseRlsBypass(String user) {
    Boolean bypass =
        jdbi.withHandle(
            h -> h.createQuery("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
                .mapTo(Boolean.class)
                .one());
    if (Boolean.TRUE.equals(bypass)) {
      close();
      throw new ConfigException(
          "Database role '" + user + "' is a superuser or has BYPASSRLS, so row-level security would not "
              + "protect tenants. Connect as an ordinary role (see docs/OPERATIONS.md) and run migrations with "
              + "--db-migration-user.");
    }
  }

  public Dialect dialect() {
    return dialect;
  }

  /**
   * Runs {@code work} in one transaction scoped to {@code tenant}, on a connection the tenant got
   * through its fair share of the pool ({@link ConnectionShare}).
   */
  public <R> R inTenant(TenantId tenant, Tx<R> work) {
    requireNonNull(tenant, "tenant");
    ConnectionShare.Slot slot = share.acquire(tenant);
    try {
      // The slot goes back as soon as the transaction has committed and its connection is back in
      // the pool, before the wait for H2's group commit: a transaction waiting for the file to be
      // written uses no connection and no CPU, and must not keep other transactions out.
      return scoped(tenant, work, slot::close);
    } finally {
      slot.close();
    }
  }

  private <R> R scoped(TenantId tenant, Tx<R> work, Runnable committed) {
    return transaction(
        h -> {
          if (dialect == Dialect.POSTGRES) {
            h.createQuery("SELECT set_config('atrium.tenant_id', :t, true)")
                .bind("t", Long.toString(tenant.value()))
                .mapTo(String.class)
                .one();
          }
          return work.apply(h);
        }, committed);
  }

  /**
   * On PostgreSQL, plans each of this transaction's later statements for the values bound to it,
   * never by the generic plan PostgreSQL switches a prepared statement to after five executions.
   * For searches, whose best plan depends on the values: the generic plan of a W3 run search (a
   * metric and a param filter, ordered by a metric) guessed one matching run and joined the
   * filters' every match before sorting, 40-65 ms, where the plan made for the values walks the
   * order's index and stops after the page, 5 ms. Planning it each time costs about 1 ms.
   */
  public void planForValues(Handle h) {
    if (dialect == Dialect.POSTGRES) {
      h.execute("SET LOCAL plan_cache_mode = force_custom_plan");
    }
  }

  /**
   * Runs {@code statement} with PostgreSQL's planner held to nested loops without a sort (hash
   * join, merge join and sort off, for this statement only), for a statement whose plan is to read
   * an index in order and stop early: the run search's walk of its order metric's index
   * ({@code RunSearch.TopK}). PostgreSQL multiplies the filters' selectivities as if they were
   * independent, though the same runs carry all of them: it expected 291 runs to match the W3
   * search where 2,509 do, so it judged the walk nine times too long and hashed every match of the
   * filters, then sorted them: 50-57 ms against 5 ms for the walk, on 10,000 runs. The statement
   * choosing the walk (it is tried only when the experiments hold ten times the page's rows) is the
   * caller's; H2 walks the index for it anyway. Not restored on failure: the transaction is then
   * over, and these settings with it.
   */
  public <T> T inIndexOrder(Handle h, Supplier<T> statement) {
    if (dialect != Dialect.POSTGRES) {
      return statement.get();
    }
    h.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL enable_sort = off");
    T result = statement.get();
    h.execute("SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT;"
        + " SET LOCAL enable_sort TO DEFAULT");
    return result;
  }

  /**
   * Creates a tenant's control-plane row and its first tenant-owned rows in one transaction, so a
   * tenant never exists half-made: {@code create} runs unscoped and returns the new id, then
   * {@code init} runs scoped to it.
   */
  public <R> R createTenant(java.util.function.Function<Handle, R> create, java.util.function.Function<R, TenantId> idOf,
      java.util.function.BiConsumer<Handle, TenantId> init) {
    return transaction(
        h -> {
          R created = create.apply(h);
          TenantId id = idOf.apply(created);
          if (dialect == Dialect.POSTGRES) {
            h.createQuery("SELECT set_config('atrium.tenant_id', :t, true)")
                .bind("t", Long.toString(id.value()))
                .mapTo(String.class)
                .one();
          }
          init.accept(h, id);
          return created;
        }, NOTHING);
  }

  /** Runs {@code work} in one transaction on the control-plane tables. */
  public <R> R platform(Tx<R> work) {
    return transaction(work, NOTHING);
  }

  /** Runs {@code work} in its own control-plane transaction, which never carries a rider ({@link #carry}). */
  public <R> R detached(Tx<R> work) {
    return durably(work, NOTHING);
  }

  private static final Runnable NOTHING = () -> {};

  /**
   * One transaction; once it has committed, a change it made is durable before this returns: on
   * PostgreSQL by its commit, on embedded H2 by the group commit ({@link H2GroupCommit}).
   * {@code committed} runs once the transaction has ended and its connection is back in the pool,
   * before H2's wait for the file (on PostgreSQL the commit is that wait, and the caller's own
   * clean-up follows at once).
   */
  private <R> R durably(Tx<R> work, Runnable committed) {
    if (groupCommit.isEmpty()) {
      return jdbi.inTransaction(work::apply);
    }
    boolean[] changed = {false};
    R result = jdbi.inTransaction(h -> {
      R r = work.apply(h);
      changed[0] = H2GroupCommit.changesPending(h.getConnection());
      return r;
    });
    committed.run();
    if (changed[0]) {
      groupCommit.get().sync();
    }
    return result;
  }

  /** Statements that a rider joins: the ones that change data. */
  private static final java.util.regex.Pattern CHANGE =
      java.util.regex.Pattern.compile("^\\s*(INSERT|UPDATE|DELETE|MERGE)\\b", java.util.regex.Pattern.CASE_INSENSITIVE);

  /**
   * Writes done by the transaction that changes data first, while it is bound to the current
   * thread (see {@link #carry}).
   */
  @FunctionalInterface
  public interface Rider {
    void write(Handle h);
  }

  /** A rider bound to the current thread until closed; {@link #written} once a committed transaction carried it. */
  public final class Carried implements AutoCloseable {
    private final Rider rider;
    private final Carried outer;
    private boolean written;
    private boolean directChange;

    private Carried(Rider rider, Carried outer) {
      this.rider = rider;
      this.outer = outer;
    }

    public boolean written() {
      return written;
    }

    @Override
    public void close() {
      carried.set(outer);
    }
  }

  private final ThreadLocal<Carried> carried = new ThreadLocal<>();

  /**
   * Tells a carried rider that the current transaction changed data with a statement run on the
   * handle's JDBC connection directly, which the rider's statement watch does not see.
   */
  public void changedDirectly() {
    Carried c = carried.get();
    if (c != null) {
      c.directChange = true;
    }
  }

  /**
   * Binds {@code rider} to the current thread: the first transaction on it that changes data (an
   * INSERT, UPDATE, DELETE or MERGE) runs the rider just before it commits, so the rider's writes
   * commit or roll back with that change, in one commit. The HTTP edge uses it for a request's
   * audit entry (AuditLog.carry): a change and its record cannot be separated by a crash, and a
   * mutation costs one commit instead of two. Transactions that only read, and those after the one
   * that carried the rider, are untouched; work that changes nothing leaves {@link Carried#written} false.
   */
  public Carried carry(Rider rider) {
    Carried c = new Carried(requireNonNull(rider), carried.get());
    carried.set(c);
    return c;
  }

  private <R> R transaction(Tx<R> work, Runnable committed) {
    Carried c = carried.get();
    if (c == null || c.written) {
      return durably(work, committed);
    }
    boolean[] rode = {false};
    c.directChange = false;
    R result =
        durably(
            h -> {
              boolean[] changed = {false};
              h.addCustomizer(
                  new org.jdbi.v3.core.statement.StatementCustomizer() {
                    @Override
                    public void afterExecution(java.sql.PreparedStatement stmt,
                        org.jdbi.v3.core.statement.StatementContext ctx) {
                      if (!changed[0] && ctx.getRawSql() != null && CHANGE.matcher(ctx.getRawSql()).find()) {
                        changed[0] = true;
                      }
                    }
                  });
              R r = work.apply(h);
              // c.written: a transaction opened inside this one (same thread) may have carried it already.
              if ((changed[0] || c.directChange) && !c.written) {
                c.rider.write(h);
                rode[0] = true;
              }
              return r;
            }, committed);
    if (rode[0]) {
      c.written = true; // only once committed: a rolled-back transaction carried nothing
    }
    return result;
  }

  /** SQLSTATE 23505 (unique violation) anywhere in the cause chain, batch exceptions included. */
  public static boolean isDuplicateKey(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        for (SQLException x = sql; x != null; x = x.getNextException()) {
          if ("23505".equals(x.getSQLState())) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** True when the database answers; used by {@code GET /ready}. */
  public boolean ready() {
    try {
      return jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM tenants").mapTo(Long.class).one()) >= 0;
    } catch (RuntimeException e) {
      log.warn("event=readiness_check_failed error={}", e.toString());
      return false;
    }
  }

  /** Pool figures for metrics: active, idle, total, waiting threads, transactions waiting for their tenant's share. */
  public int[] poolStats() {
    var mx = dataSource.getHikariPoolMXBean();
    if (mx == null) {
      return new int[] {0, 0, 0, 0, share.waiting()};
    }
    return new int[] {mx.getActiveConnections(), mx.getIdleConnections(), mx.getTotalConnections(),
        mx.getThreadsAwaitingConnection(), share.waiting()};
  }

  Optional<H2Housekeeping> housekeeping() {
    return housekeeping;
  }

  @Override
  public void close() {
    housekeeping.ifPresent(H2Housekeeping::close);
    dataSource.close();
  }
}
