package io.atrium.db;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.FileStore;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs H2's housekeeping (rewriting sparse old chunks so their space is reused) in steps short
 * enough not to stall commits. H2 writes every store as a new chunk and rewrites sparse old chunks
 * in its background writer thread, which steps every {@code WRITE_DELAY / 10} ms and not at all
 * with {@code WRITE_DELAY=0}. Atrium's default URL first had {@code WRITE_DELAY=0}, which turned the
 * rewriting off with it: a benchmark database with 1.2 GB of live data had grown to 14.9 GB, 8 % of
 * its chunks' space live, and every read paid for the scatter. Acknowledged writes now reach the
 * file through {@link H2GroupCommit} and {@code WRITE_DELAY} is 10 minutes, so H2's writer steps
 * once a minute: too rarely. This daemon steps instead, every {@link #PERIOD_MS}:
 *
 * <ul>
 *   <li><b>Busy</b> (the file was read or written since the last step): it rewrites the live pages
 *       of at most {@link #BUSY_REWRITE_BYTES} of sparse chunks ({@code FileStore.rewriteChunks},
 *       with the fill-rate rule of H2's own busy step) and moves no chunks. H2's own busy step,
 *       called once a second, rewrote up to a quarter of its auto-commit memory (several MB) and
 *       moved chunks up to twice that, all under the store lock that every commit needs: in the
 *       noisy-neighbour benchmark its steps took 10-100 ms and nearly every commit slower than 8 ms
 *       had waited for one. Small steps ten times a second rewrite as much in total, and a commit
 *       waits for at most one of them.
 *   <li><b>Idle</b> (no file operation for {@link #IDLE_MS}): once per {@link #IDLE_MS} it calls the
 *       whole step H2's writer thread would ({@code FileStore.writeInBackground}), which also moves
 *       chunks to close the holes in the file and may take longer, since nobody is waiting. That is
 *       what this daemon did at all times before, once a second.
 * </ul>
 *
 * The H2 methods are package-private, so they are reached by reflection; if a later H2 lacks one,
 * the daemon logs that once and stops, and the file grows as it did before. Not {@link
 * MVStore#compactFile}: that is H2's offline compaction (what close runs), and run beside commits it
 * failed one with "Chunk not found".
 *
 * <p>What it does and does not do, measured with a churn of single-row commits (H2HousekeepingIT and
 * the scratch behind it): once the commits ease, the chunks go from 2-3 % live to over 90 % within
 * a few seconds, and the freed space is reused; under a sustained stream of commits the file still
 * grows, only less. Freed space is not returned to the file system while running; a clean shutdown
 * compacts for up to 200 ms. docs/OPERATIONS.md says so.
 */
final class H2Housekeeping implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(H2Housekeeping.class);

  /** How often a step runs. */
  static final long PERIOD_MS = 100;

  /** How long without a file operation before the store counts as idle; an idle store gets H2's whole step once per this period. */
  static final long IDLE_MS = 1_000;

  /**
   * The most live data one busy step rewrites. Beside the noisy-neighbour flood (scratch timing) such
   * steps took 2 ms on average and 24 ms at the most, where H2's own busy step had taken 10-100 ms.
   */
  static final int BUSY_REWRITE_BYTES = 256 * 1024;

  /**
   * H2's busy rule: rewrite while 50 + (live share of the rewritable chunks) / 2 is below its
   * busy target, the auto-compact fill rate squared / 100 (90 % by default: 81).
   */
  private static int busyTarget(int autoCompactFillRate) {
    return autoCompactFillRate * autoCompactFillRate / 100;
  }

  private final MVStore store;
  private final H2Steps h2;
  // Read and written by the housekeeping thread only.
  private long lastOps = -1;
  private long lastActive = System.nanoTime();
  private long lastWholeStep = lastActive;
  private final Thread thread;
  private final Object wake = new Object();
  private boolean stopped; // guarded by wake

  /** The package-private H2 methods a step calls. */
  private record H2Steps(Method writeInBackground, Method rewriteChunks, Method rewritableFillRate,
      Method autoCompactFillRate, Method underStoreLock) {
    static H2Steps find() throws ReflectiveOperationException {
      Class<?> fs = FileStore.class;
      H2Steps s = new H2Steps(fs.getDeclaredMethod("writeInBackground"),
          fs.getDeclaredMethod("rewriteChunks", int.class, int.class), fs.getDeclaredMethod("getRewritableChunksFillRate"),
          fs.getDeclaredMethod("getAutoCompactFillRate"), MVStore.class.getDeclaredMethod("tryExecuteUnderStoreLock", Callable.class));
      for (var m : new java.lang.reflect.AccessibleObject[] {s.writeInBackground, s.rewriteChunks, s.rewritableFillRate,
          s.autoCompactFillRate, s.underStoreLock}) {
        m.setAccessible(true);
      }
      return s;
    }
  }

  private H2Housekeeping(MVStore store, H2Steps h2) {
    this.store = store;
    this.h2 = h2;
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

  /** Starts housekeeping for {@code store}, or returns empty when this H2 lacks the steps. */
  static Optional<H2Housekeeping> start(MVStore store) {
    H2Steps h2;
    try {
      h2 = H2Steps.find();
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("event=h2_housekeeping_unavailable reason=\"an H2 FileStore method is missing ({})\""
          + " effect=\"the H2 file keeps its dead chunks until a clean shutdown\"", e.toString());
      return Optional.empty();
    }
    H2Housekeeping h = new H2Housekeeping(store, h2);
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
    FileStore<?> fs = store.getFileStore();
    try {
      long now = System.nanoTime();
      long ops = fs.getWriteCount() + fs.getReadCount();
      if (ops != lastOps) {
        lastActive = now;
      }
      if (now - lastActive >= IDLE_MS * 1_000_000L) {
        if (now - lastWholeStep >= IDLE_MS * 1_000_000L) {
          // H2's own step, judged by H2's own marks: its first call after a busy spell takes H2's
          // busy path (bounded by H2's larger limits: nobody waits now), the following ones its idle path.
          h2.writeInBackground.invoke(fs);
          lastWholeStep = now;
        }
      } else {
        int fill = (int) h2.rewritableFillRate.invoke(fs);
        if (50 + fill / 2 < busyTarget((int) h2.autoCompactFillRate.invoke(fs))) {
          // As H2's own step does it: under the store lock, skipped when a store holds it right now.
          Callable<Boolean> rewrite = () -> {
            if ((boolean) h2.rewriteChunks.invoke(fs, BUSY_REWRITE_BYTES, fill)) {
              fs.dropUnusedChunks();
            }
            return true;
          };
          h2.underStoreLock.invoke(store, rewrite);
        }
      }
      // What this step read and wrote does not count as activity.
      lastOps = fs.getWriteCount() + fs.getReadCount();
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
