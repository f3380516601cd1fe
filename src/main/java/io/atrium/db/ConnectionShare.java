package io.atrium.db;

import io.atrium.common.ErrorCode;
import io.atrium.common.MlflowError;
import io.atrium.tenancy.TenantId;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Shares the database connections fairly between tenants: the scarce resource behind every
 * request. Each tenant-scoped transaction ({@link Database#inTenant}) takes one of {@code permits}
 * slots first, under two rules:
 *
 * <ol>
 *   <li><b>Headroom</b>: no tenant holds more than {@code permits - reserve} slots, so a tenant that
 *       arrives while another one fills the server (slow searches, writes queued on its own row
 *       locks) finds a connection free at once instead of queueing behind that tenant's work.
 *   <li><b>Fewest first, then turns</b>: when slots are short, a freed slot goes to the waiting
 *       tenant holding the fewest; between tenants holding equally few, to the one served least
 *       recently; within a tenant, to whoever waited longest. So a tenant with many requests in
 *       flight or queued cannot take turns away from one with a few: tenants waiting with equal
 *       holdings take turns, and a tenant that queued its whole burst at once does not go ahead of
 *       a tenant whose single transaction arrived after that burst.
 * </ol>
 *
 * A transaction already inside one (the same thread, nested) does not take a second slot. A wait
 * longer than {@code maxWaitNanos} ends in 503 TEMPORARILY_UNAVAILABLE; nothing was done then.
 */
final class ConnectionShare {
  private final int permits;
  private final int perTenantMax;
  private final long maxWaitNanos;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<Long, Integer> held = new HashMap<>();
  private final Map<Long, ArrayDeque<Waiter>> waiting = new HashMap<>();
  /** When each tenant was last granted a slot, as a grant count (for taking turns). */
  private final Map<Long, Long> lastServed = new HashMap<>();
  private long grants;
  private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
  private int free;
  private long arrivals;

  private static final class Waiter {
    final long tenant;
    final long arrival;
    final Condition granted;
    boolean done;

    Waiter(long tenant, long arrival, Condition granted) {
      this.tenant = tenant;
      this.arrival = arrival;
      this.granted = granted;
    }
  }

  /** What the caller holds; close it when the transaction ends. Closing it again does nothing. */
  interface Slot extends AutoCloseable {
    @Override
    void close();
  }

  /** A slot whose release runs once, however often it is closed. */
  private static Slot once(Runnable release) {
    boolean[] closed = {false};
    return () -> {
      if (!closed[0]) {
        closed[0] = true;
        release.run();
      }
    };
  }

  ConnectionShare(int permits, int reserve, long maxWaitNanos) {
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be positive");
    }
    this.permits = permits;
    this.perTenantMax = Math.max(1, permits - Math.max(0, reserve));
    this.maxWaitNanos = maxWaitNanos;
    this.free = permits;
  }

  /** For a pool of {@code poolSize}: one connection kept for control-plane work, 1/8 of the rest as headroom. */
  static ConnectionShare forPool(int poolSize, long maxWaitNanos) {
    int permits = Math.max(1, poolSize - 1);
    return new ConnectionShare(permits, permits >= 2 ? Math.max(1, permits / 8) : 0, maxWaitNanos);
  }

  Slot acquire(TenantId tenant) {
    int[] d = depth.get();
    if (d[0] > 0) {
      d[0]++;
      return once(() -> d[0]--);
    }
    long t = tenant.value();
    lock.lock();
    try {
      if (free > 0 && heldBy(t) < perTenantMax && !someoneNeedierWaits(t)) {
        take(t);
      } else {
        Waiter w = new Waiter(t, arrivals++, lock.newCondition());
        waiting.computeIfAbsent(t, k -> new ArrayDeque<>()).addLast(w);
        grant();
        long left = maxWaitNanos;
        try {
          while (!w.done) {
            if (left <= 0) {
              ArrayDeque<Waiter> q = waiting.get(t);
              q.remove(w);
              if (q.isEmpty()) {
                waiting.remove(t);
              }
              throw new MlflowError(ErrorCode.TEMPORARILY_UNAVAILABLE,
                  "The database is busy; no connection came free within " + TimeUnit.NANOSECONDS.toSeconds(maxWaitNanos)
                      + " s. Retry shortly.");
            }
            left = w.granted.awaitNanos(left);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          if (w.done) {
            release(t);
          } else {
            waiting.get(t).remove(w);
          }
          throw new MlflowError(ErrorCode.TEMPORARILY_UNAVAILABLE, "Interrupted while waiting for a database connection");
        }
      }
    } finally {
      lock.unlock();
    }
    d[0] = 1;
    return once(() -> {
      d[0] = 0;
      lock.lock();
      try {
        release(t);
      } finally {
        lock.unlock();
      }
    });
  }

  private int heldBy(long t) {
    return held.getOrDefault(t, 0);
  }

  private boolean someoneNeedierWaits(long t) {
    int mine = heldBy(t);
    for (var e : waiting.entrySet()) {
      if (!e.getValue().isEmpty() && heldBy(e.getKey()) <= mine && heldBy(e.getKey()) < perTenantMax) {
        return true;
      }
    }
    return false;
  }

  private void take(long t) {
    held.merge(t, 1, Integer::sum);
    free--;
    lastServed.put(t, ++grants);
    if (lastServed.size() > 4096) {
      // Only tenants seen recently matter for turns; a tenant forgotten here just counts as served long ago.
      lastServed.keySet().removeIf(k -> !held.containsKey(k) && !waiting.containsKey(k));
    }
  }

  private long lastServed(long t) {
    return lastServed.getOrDefault(t, 0L);
  }

  /** Who of two waiting heads gets a freed slot first (see the class comment). */
  private final Comparator<Waiter> servingOrder = Comparator.<Waiter>comparingInt(w -> heldBy(w.tenant))
      .thenComparingLong(w -> lastServed(w.tenant))
      .thenComparingLong(w -> w.arrival);

  private void release(long t) {
    if (held.merge(t, -1, Integer::sum) <= 0) {
      held.remove(t);
    }
    free++;
    grant();
  }

  /** Hands free slots to waiters: the tenant holding the fewest first, then the one served least recently. */
  private void grant() {
    while (free > 0) {
      Waiter best = null;
      for (var e : waiting.entrySet()) {
        Waiter head = e.getValue().peekFirst();
        if (head == null || heldBy(e.getKey()) >= perTenantMax) {
          continue;
        }
        if (best == null || servingOrder.compare(head, best) < 0) {
          best = head;
        }
      }
      if (best == null) {
        return;
      }
      ArrayDeque<Waiter> q = waiting.get(best.tenant);
      q.pollFirst();
      if (q.isEmpty()) {
        waiting.remove(best.tenant);
      }
      take(best.tenant);
      best.done = true;
      best.granted.signal();
    }
  }

  /** Transactions waiting for a slot right now (for metrics). */
  int waiting() {
    lock.lock();
    try {
      return waiting.values().stream().mapToInt(ArrayDeque::size).sum();
    } finally {
      lock.unlock();
    }
  }

  int permits() {
    return permits;
  }

  int perTenantMax() {
    return perTenantMax;
  }
}
