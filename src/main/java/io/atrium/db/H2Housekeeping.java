package io.atrium.db;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs H2's own housekeeping once a second. H2 writes every store as a new chunk and rewrites sparse
 * old chunks in its background writer thread, which steps every {@code WRITE_DELAY / 10} ms and
 * not at all with {@code WRITE_DELAY=0}. Atrium's default URL first had {@code WRITE_DELAY=0} (every
 * commit on disk before its answer), which turned the rewriting off with it: a benchmark database
 * with 1.2 GB of live data had grown to 14.9 GB, 8 % of its chunks' space live, and every read paid
 * for the scatter. Acknowledged writes now reach the file through {@link H2GroupCommit}, and
 * {@code WRITE_DELAY} is 10 minutes, so H2's writer steps once a minute: still too rarely, and this
 * daemon keeps the measured once-a-second rhythm whatever the URL says.
 *
 * <p>Once a second this daemon calls the step H2's writer thread would ({@code
 * FileStore.writeInBackground}: rewrite low-fill chunks, move chunks when the file is fragmented,
 * bounded in bytes per step, under H2's store lock like any commit). The step is package-private in
 * H2, so it is reached by reflection; if a later H2 drops it, the daemon logs that once and stops,
 * and the file grows as it did before. Not {@link MVStore#compactFile}: that is H2's offline
 * compaction (what close runs), and run beside commits it failed one with "Chunk not found".
 *
 * <p>What it does and does not do, measured with a churn of single-row commits (H2HousekeepingIT and
 * the scratch behind it): once the commits ease, the chunks go from 2-3 % live to over 90 % within
 * a few seconds, and the freed space is reused; while commits keep arriving H2 rewrites little, so
 * the file still grows under a sustained stream, only less. Freed space is not returned to the file
 * system while running; a clean shutdown compacts for up to 200 ms. docs/OPERATIONS.md says so.
 */
final class H2Housekeeping implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(H2Housekeeping.class);

  /**
   * H2's writer steps every WRITE_DELAY / 10 ms. Measured here: at 500 ms and 1 s a step rewrites
   * once commits ease; at 100 ms H2 never judged the store idle and the chunks stayed 3 % live.
   */
  static final long PERIOD_MS = 1_000;

  private final MVStore store;
  private final Method step;
  private final Thread thread;
  private final Object wake = new Object();
  private boolean stopped; // guarded by wake

  private H2Housekeeping(MVStore store, Method step) {
    this.store = store;
    this.step = step;
    this.thread = Thread.ofPlatform().daemon().name("atrium-h2-housekeeping").unstarted(this::loop);
  }

  /** The MVStore of the H2 file database behind {@code dataSource}; empty when it is not a writable file database. */
  static Optional<MVStore> fileStoreOf(DataSource dataSource) {
    MVStore store;
    try (Connection c = dataSource.getConnection()) {
      SessionLocal session = (SessionLocal) c.unwrap(JdbcConnection.class).getSession();
      store = session.getDatabase().getStore().getMvStore();
    } catch (SQLException | ClassCastException e) {
      log.warn("event=h2_store_unavailable error={}", e.toString());
      return Optional.empty();
    }
    return store.getFileStore() == null || store.isReadOnly() ? Optional.empty() : Optional.of(store);
  }

  /** Starts housekeeping for {@code store}, or returns empty when this H2 lacks the step. */
  static Optional<H2Housekeeping> start(MVStore store) {
    Method step;
    try {
      step = FileStore.class.getDeclaredMethod("writeInBackground");
      step.setAccessible(true);
    } catch (NoSuchMethodException | RuntimeException e) {
      log.warn("event=h2_housekeeping_unavailable reason=\"FileStore.writeInBackground not found ({})\""
          + " effect=\"the H2 file keeps its dead chunks until a clean shutdown\"", e.toString());
      return Optional.empty();
    }
    H2Housekeeping h = new H2Housekeeping(store, step);
    h.thread.start();
    return Optional.of(h);
  }

  /** Fill rates in percent: the file's share holding chunks, and the chunks' share live. */
  int[] fillRates() {
    FileStore<?> fs = store.getFileStore();
    return new int[] {fs.getFillRate(), fs.getChunksFillRate()};
  }

  /** One housekeeping step; false once the store is closed. */
  boolean runOnce() {
    if (store.isClosed()) {
      return false;
    }
    try {
      step.invoke(store.getFileStore());
    } catch (InvocationTargetException e) {
      if (!store.isClosed()) {
        log.warn("event=h2_housekeeping_failed error={}", e.getCause().toString());
      }
    } catch (IllegalAccessException | RuntimeException e) {
      if (!store.isClosed()) {
        log.warn("event=h2_housekeeping_failed error={}", e.toString());
      }
    }
    return !store.isClosed();
  }

  boolean alive() {
    return thread.isAlive();
  }

  private void loop() {
    while (true) {
      synchronized (wake) {
        if (!stopped) {
          try {
            wake.wait(PERIOD_MS);
          } catch (InterruptedException e) {
            return;
          }
        }
        if (stopped) {
          return;
        }
      }
      if (!runOnce()) {
        return;
      }
    }
  }

  /**
   * Stops after the step in progress. Never by interrupting the thread: an interrupt inside H2's
   * file I/O closes the file channel under the database.
   */
  @Override
  public void close() {
    synchronized (wake) {
      stopped = true;
      wake.notifyAll();
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
