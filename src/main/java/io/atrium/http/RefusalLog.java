package io.atrium.http;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The request log's answer to a flood: of one tenant's requests refused for fair use (429), the
 * first in each {@link #WINDOW_NANOS} window is logged in full like any request, and the rest are
 * counted and reported in one {@code event=requests_refused} line once the window is over.
 *
 * <p>Why: a tenant far over its rate limit is refused hundreds of times a second (the noisy-neighbour
 * benchmark: 550/s), and a line for each would make the log the one resource that tenant still
 * fills for everyone: about 130 KB/s of log, half a gigabyte an hour, and a write under the log's
 * lock for every refusal. The exact counts stay in the metrics ({@code atrium_throttled_requests_total}
 * by tenant and reason) and in the usage counters; the log keeps one full line per tenant and window (with its
 * request id) and the count of the others. Every other status is logged one line per request.
 */
final class RefusalLog {
  /** Ten seconds. */
  static final long WINDOW_NANOS = 10_000_000_000L;

  /** Where a window's summary goes: the tenant and how many of its refusals were not logged in full. */
  interface Sink {
    void refused(String tenant, long notLogged, long windowSeconds);
  }

  private static final class Window {
    long start;
    long counted;

    Window(long start) {
      this.start = start;
    }
  }

  private final Map<String, Window> windows = new ConcurrentHashMap<>();
  private final LongSupplier nanoClock;
  private final Sink sink;

  RefusalLog(LongSupplier nanoClock, Sink sink) {
    this.nanoClock = requireNonNull(nanoClock);
    this.sink = requireNonNull(sink);
  }

  /**
   * A refusal of {@code tenant}'s: true when it is to be logged in full (the first of its window),
   * false when it was counted instead. Reports the tenant's previous window first if that is over.
   */
  boolean logInFull(String tenant) {
    long now = nanoClock.getAsLong();
    Window w = windows.computeIfAbsent(tenant, t -> new Window(now - WINDOW_NANOS));
    long report;
    synchronized (w) {
      if (now - w.start < WINDOW_NANOS) {
        w.counted++;
        return false;
      }
      report = w.counted;
      w.start = now;
      w.counted = 0;
    }
    report(tenant, report);
    return true;
  }

  /** Reports every window that is over and still holds counted refusals (run periodically). */
  void flush() {
    flush(false);
  }

  /** Reports every window that holds counted refusals, over or not (at shutdown). */
  void flushAll() {
    flush(true);
  }

  private void flush(boolean all) {
    long now = nanoClock.getAsLong();
    windows.forEach((tenant, w) -> {
      long report = 0;
      synchronized (w) {
        if ((all || now - w.start >= WINDOW_NANOS) && w.counted > 0) {
          report = w.counted;
          w.counted = 0;
        }
      }
      report(tenant, report);
    });
  }

  private void report(String tenant, long counted) {
    if (counted > 0) {
      sink.refused(tenant, counted, WINDOW_NANOS / 1_000_000_000L);
    }
  }
}
