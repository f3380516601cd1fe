package io.atrium.db;

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
 * Keeps an embedded H2 file from filling with dead chunks. H2 writes every commit as a new chunk
 * and rewrites sparse old chunks in its background writer thread, but that thread only runs when
 * commits are delayed ({@code WRITE_DELAY > 0}). Atrium sets {@code WRITE_DELAY=0} so that an
 * acknowledged write is on disk ({@link io.atrium.config.AtriumConfig#defaultH2Url}), which turned
 * the rewriting off with it: a benchmark database with 1.2 GB of live data had grown to 14.9 GB,
 * 8 % of its chunks' space live, and every read paid for the scatter.
 *
 * <p>Once a second this daemon looks at the file. When it is at least {@link #MIN_SIZE} bytes and
 * less than a third of it is live data, it runs H2's own file compaction ({@link
 * MVStore#compactFile}, what H2 runs on close) for at most {@link #BUDGET_MS} ms: sparse chunks are
 * rewritten and moved down, and the file is truncated. Commits wait while it holds the store
 * (measured 80-200 ms a pass under a churn of commits), so a pass starts at most every {@link
 * #MIN_GAP_MS} ms. Measured with a churn of single-row commits (the scratch behind
 * H2HousekeepingIT): without it, 80,000 commits left 260 MB for 3 MB of rows, chunks 2 % live; with
 * it, the file stayed near 22 MB during the churn and was 3 MB, 92 % live, two seconds after.
 */
final class H2Housekeeping implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(H2Housekeeping.class);

  static final long PERIOD_MS = 1_000;
  /** Below this the file is left alone, however sparse: a few dozen MiB cost nothing to keep. */
  static final long MIN_SIZE = 64L << 20;
  static final long MIN_GAP_MS = 10_000;
  static final int BUDGET_MS = 25;

  private final MVStore store;
  private final Thread thread;
  private final Object wake = new Object();
  private boolean stopped; // guarded by wake
  private long lastPass = System.nanoTime() - MIN_GAP_MS * 1_000_000;

  private H2Housekeeping(MVStore store) {
    this.store = store;
    this.thread = Thread.ofPlatform().daemon().name("atrium-h2-housekeeping").unstarted(this::loop);
  }

  /**
   * Starts housekeeping for the H2 database behind {@code dataSource}, or returns empty when it is
   * not a file database (in-memory H2 has no file to keep compact).
   */
  static Optional<H2Housekeeping> start(DataSource dataSource) {
    MVStore store;
    try (Connection c = dataSource.getConnection()) {
      SessionLocal session = (SessionLocal) c.unwrap(JdbcConnection.class).getSession();
      store = session.getDatabase().getStore().getMvStore();
    } catch (SQLException | ClassCastException e) {
      log.warn("event=h2_housekeeping_unavailable error={}", e.toString());
      return Optional.empty();
    }
    if (store.getFileStore() == null || store.isReadOnly()) {
      return Optional.empty();
    }
    H2Housekeeping h = new H2Housekeeping(store);
    h.thread.start();
    return Optional.of(h);
  }

  /** Fill rates in percent: the file's share holding chunks, and the chunks' share live. */
  int[] fillRates() {
    FileStore<?> fs = store.getFileStore();
    return new int[] {fs.getFillRate(), fs.getChunksFillRate()};
  }

  /** Compacts when the file is big and mostly dead; false once the store is closed. */
  boolean runOnce() {
    if (store.isClosed()) {
      return false;
    }
    try {
      FileStore<?> fs = store.getFileStore();
      long size = fs.size();
      long live = size * fs.getFillRate() / 100 * fs.getChunksFillRate() / 100;
      long now = System.nanoTime();
      if (size >= MIN_SIZE && live * 3 < size && now - lastPass >= MIN_GAP_MS * 1_000_000) {
        lastPass = now;
        store.compactFile(BUDGET_MS);
        long ms = (System.nanoTime() - now) / 1_000_000;
        log.debug("event=h2_compacted ms={} size_before={} size_after={}", ms, size, fs.size());
      }
    } catch (RuntimeException e) {
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
   * Stops after the pass in progress. Never by interrupting the thread: an interrupt inside H2's
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
