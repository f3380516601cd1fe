package io.atrium.db;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;

/**
 * Group commit for the embedded H2 database: a transaction that changed data is answered only once
 * its changes are in the database file, and transactions committing at about the same time share
 * one write.
 *
 * <p>H2 writes a chunk for every commit when {@code WRITE_DELAY=0}: the committing thread serializes
 * every page the transaction changed (the path from each changed table's and index's root down to
 * its leaves) and writes them. In W5 (runs created and finished by 16 clients, 2,300 commits/s on 2
 * cores) that was 23 % of the server's CPU samples ({@code MVStore.storeNow}). With H2's default
 * delayed writes, a killed process lost the last half second of acknowledged writes
 * (CrashDurabilityIT). So the default URL lets H2 delay ({@code WRITE_DELAY} of 10 minutes, a
 * fallback only), and {@link Database} calls {@link #sync} after each commit of a transaction that changed
 * something, before the request is answered:
 *
 * <ul>
 *   <li>one caller at a time leads a write ({@link MVStore#commit}, which writes everything
 *       committed so far); callers that arrive meanwhile wait for the next write, which the first
 *       of them leads and which carries all of them;
 *   <li>while writes follow each other closely (the last one ended less than {@link #BUSY_NANOS}
 *       ago) the leader first waits {@link #GATHER_NANOS}, so that the transactions finishing on
 *       the other cores join its write instead of each paying for its own. An idle server writes at
 *       once.
 * </ul>
 *
 * A caller returns only after a write that began after its own commit has ended; a write that fails
 * throws to its leader, and the callers waiting for it lead the next attempt.
 */
final class H2GroupCommit {
  /** Writes closer together than this mean a busy server: gather before writing. */
  static final long BUSY_NANOS = 5_000_000L;

  /** How long a leader on a busy server lets other commits gather before it writes. */
  static final long GATHER_NANOS = 300_000L;

  private final MVStore store;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition written = lock.newCondition();
  private long started; // guarded by lock: writes begun
  private long completed; // guarded by lock: the last write that ended well
  private boolean leading; // guarded by lock
  private long lastWriteEnd; // guarded by lock

  H2GroupCommit(MVStore store) {
    this.store = requireNonNull(store);
    this.lastWriteEnd = System.nanoTime() - BUSY_NANOS;
  }

  /**
   * Whether the transaction open on {@code connection} (an H2 one) has changed anything; true when
   * that cannot be told, so that such a transaction is made durable all the same.
   */
  static boolean changesPending(Connection connection) {
    try {
      return !(connection.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal s) || s.hasPendingTransaction();
    } catch (SQLException e) {
      return true;
    }
  }

  /** Returns once everything committed before the call is in the file. */
  void sync() {
    lock.lock();
    try {
      long needed = started + 1; // a write that begins after this point
      while (completed < needed) {
        if (leading) {
          written.awaitUninterruptibly();
          continue;
        }
        leading = true;
        try {
          if (System.nanoTime() - lastWriteEnd < BUSY_NANOS) {
            lock.unlock();
            try {
              LockSupport.parkNanos(GATHER_NANOS);
            } finally {
              lock.lock();
            }
          }
          long mine = ++started;
          lock.unlock();
          try {
            store.commit();
          } finally {
            lock.lock();
          }
          completed = mine;
        } finally {
          leading = false;
          lastWriteEnd = System.nanoTime();
          written.signalAll();
        }
      }
    } finally {
      lock.unlock();
    }
  }
}
