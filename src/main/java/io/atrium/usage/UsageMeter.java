package io.atrium.usage;

import static java.util.Objects.requireNonNull;

import io.atrium.tenancy.TenantId;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts usage in memory (one {@link LongAdder} per tenant, hour and counter: no lock and no
 * database write on the request path) and adds the counts to the database every few seconds and on
 * shutdown. Counts are deltas, so several replicas flushing into the same rows add up correctly.
 * A crash loses at most one flush interval of counts; the figures are derived from counters, never
 * from scanning the audit log.
 */
public final class UsageMeter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UsageMeter.class);
  static final long HOUR = 3_600_000L;

  private record Key(TenantId tenant, long hour, UsageCounter counter) {}

  private final UsageStore store;
  private final Clock clock;
  private final ConcurrentHashMap<Key, LongAdder> pending = new ConcurrentHashMap<>();
  private final ScheduledExecutorService flusher;

  public UsageMeter(UsageStore store, Clock clock, long flushMillis) {
    this.store = requireNonNull(store);
    this.clock = requireNonNull(clock);
    this.flusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "atrium-usage-flush");
              t.setDaemon(true);
              return t;
            });
    flusher.scheduleWithFixedDelay(this::flushQuietly, flushMillis, flushMillis, TimeUnit.MILLISECONDS);
  }

  public void add(TenantId tenant, UsageCounter counter, long n) {
    if (n <= 0) {
      return;
    }
    long hour = clock.millis() / HOUR * HOUR;
    pending.computeIfAbsent(new Key(tenant, hour, counter), k -> new LongAdder()).add(n);
  }

  /** Writes every pending count to the database. Safe to call concurrently with {@link #add}. */
  public synchronized void flush() {
    Map<TenantId, Map<Long, Map<UsageCounter, Long>>> byTenant = new HashMap<>();
    for (var e : pending.entrySet()) {
      long n = e.getValue().sumThenReset();
      if (n != 0) {
        Key k = e.getKey();
        byTenant.computeIfAbsent(k.tenant(), t -> new HashMap<>())
            .computeIfAbsent(k.hour(), h -> new HashMap<>())
            .merge(k.counter(), n, Long::sum);
      }
    }
    // Drop adders of past hours that are now empty, so the map does not grow forever.
    long currentHour = clock.millis() / HOUR * HOUR;
    pending.entrySet().removeIf(e -> e.getKey().hour() < currentHour && e.getValue().sum() == 0);
    RuntimeException failure = null;
    for (var e : byTenant.entrySet()) {
      try {
        store.add(e.getKey(), e.getValue());
      } catch (RuntimeException ex) {
        // Put the counts back so the next flush retries them, and go on with the other tenants.
        e.getValue().forEach((hour, counts) -> counts.forEach((counter, n) ->
            pending.computeIfAbsent(new Key(e.getKey(), hour, counter), k -> new LongAdder()).add(n)));
        failure = failure == null ? ex : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      log.warn("event=usage_flush_failed error={}", e.toString());
    }
  }

  @Override
  public void close() {
    flusher.shutdownNow();
    flushQuietly();
  }
}
