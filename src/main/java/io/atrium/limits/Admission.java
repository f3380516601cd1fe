package io.atrium.limits;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.atrium.tenancy.TenantId;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Admission control at the edge, before any work is done for a request.
 *
 * <p>Three gates, in order:
 *
 * <ol>
 *   <li><b>Rate</b>: a token bucket per tenant ({@code rps}, {@code burst}); run creation has its own
 *       bucket ({@code runs_per_minute}).
 *   <li><b>Concurrency</b>: at most {@code concurrency} requests of the tenant in flight.
 *   <li><b>Fair share</b>: the server's scarce resources (request workers and, above all, database
 *       connections) are sized by {@code capacity}. While total in-flight work is below it, any
 *       tenant inside its own limits is admitted. Once it is reached, a tenant is admitted only while
 *       it holds less than an equal share ({@code capacity / busy tenants}, at least one), so a
 *       tenant sending expensive requests (huge searches) within its limits can fill the server
 *       when it is alone but cannot starve a tenant that arrives later: the newcomer always finds
 *       its share free, and the heavy tenant gets 429s until it is back under its share.
 * </ol>
 *
 * Every refusal is a 429 {@code RESOURCE_EXHAUSTED} with a {@code Retry-After}; nothing has been
 * read or written for the request yet. Limits are per replica.
 */
public final class Admission {
  /** A granted admission; close it when the request ends. */
  public interface Permit extends AutoCloseable {
    @Override
    void close();
  }

  /** Why a request was refused; for metrics. */
  public enum Refusal {
    RATE,
    RUN_RATE,
    CONCURRENCY,
    FAIR_SHARE
  }

  private final Function<TenantId, TenantLimits> limitsOf;
  private final int capacity;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<TenantId, TokenBucket> buckets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<TenantId, TokenBucket> runBuckets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<TenantId, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final AtomicInteger totalInFlight = new AtomicInteger();
  private final AtomicInteger busyTenants = new AtomicInteger();

  /**
   * @param limitsOf each tenant's limits in force (cheap: called on every request)
   * @param capacity the in-flight requests the server can serve well at once, shared fairly when reached
   */
  public Admission(Function<TenantId, TenantLimits> limitsOf, int capacity, LongSupplier nanoClock) {
    this.limitsOf = requireNonNull(limitsOf);
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacity = capacity;
    this.nanoClock = requireNonNull(nanoClock);
  }

  /** A refused admission, carrying the reason for metrics. */
  public static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient MlflowError error;
    private final Refusal reason;

    Refused(Refusal reason, MlflowError error) {
      super(error.getMessage(), null, false, false);
      this.reason = reason;
      this.error = error;
    }

    public Refusal reason() {
      return reason;
    }

    public MlflowError error() {
      return error;
    }
  }

  /**
   * Admits one request of {@code tenant} or throws {@link Refused}.
   *
   * @param createsRun whether the request creates a run (checked against the run-creation rate too)
   */
  public Permit admit(TenantId tenant, String tenantName, boolean createsRun) {
    TenantLimits l = limitsOf.apply(tenant);
    long now = nanoClock.getAsLong();
    long wait = bucket(buckets, tenant, l.requestsPerSecond(), l.burst(), now).tryTake(now);
    if (wait > 0) {
      throw refused(Refusal.RATE, "Tenant '" + tenantName + "' is over its request rate of " + fmt(l.requestsPerSecond())
          + " requests/s (burst " + l.burst() + ")", wait);
    }
    if (createsRun) {
      double perSecond = l.runsPerMinute() / 60.0;
      long runWait = bucket(runBuckets, tenant, perSecond, Math.max(1, l.runsPerMinute()), now).tryTake(now);
      if (runWait > 0) {
        throw refused(Refusal.RUN_RATE, "Tenant '" + tenantName + "' is over its run-creation rate of "
            + fmt(l.runsPerMinute()) + " runs/minute", runWait);
      }
    }
    AtomicInteger mine = inFlight.computeIfAbsent(tenant, t -> new AtomicInteger());
    int held = mine.incrementAndGet();
    if (held == 1) {
      busyTenants.incrementAndGet();
    }
    int total = totalInFlight.incrementAndGet();
    if (held > l.concurrency()) {
      release(mine);
      throw refused(Refusal.CONCURRENCY, "Tenant '" + tenantName + "' already has " + l.concurrency()
          + " requests in flight (its concurrency limit)", 1_000_000_000L);
    }
    if (total > capacity) {
      int share = Math.max(1, capacity / Math.max(1, busyTenants.get()));
      if (held > share) {
        release(mine);
        throw refused(Refusal.FAIR_SHARE, "The server is busy and tenant '" + tenantName
            + "' holds more than its fair share (" + share + " of " + capacity + " slots); retry shortly", 1_000_000_000L);
      }
    }
    return () -> release(mine);
  }

  private void release(AtomicInteger mine) {
    totalInFlight.decrementAndGet();
    if (mine.decrementAndGet() == 0) {
      busyTenants.decrementAndGet();
    }
  }

  /** Requests in flight for a tenant right now (for metrics). */
  public int inFlight(TenantId tenant) {
    AtomicInteger a = inFlight.get(tenant);
    return a == null ? 0 : a.get();
  }

  public int totalInFlight() {
    return totalInFlight.get();
  }

  public int capacity() {
    return capacity;
  }

  private static TokenBucket bucket(
      ConcurrentHashMap<TenantId, TokenBucket> map, TenantId tenant, double rate, double burst, long now) {
    TokenBucket b = map.get(tenant);
    if (b != null && b.sameShape(rate, burst)) {
      return b;
    }
    // New tenant, or its limits changed: start a bucket of the new shape (full), so a changed
    // limit applies from the next request on.
    return map.compute(tenant, (t, old) -> old != null && old.sameShape(rate, burst) ? old : new TokenBucket(rate, burst, now));
  }

  private static Refused refused(Refusal reason, String message, long waitNanos) {
    long seconds = (waitNanos + 999_999_999L) / 1_000_000_000L;
    return new Refused(reason, MlflowError.throttled(message + ". Retry after " + Math.max(1, seconds) + " s.", seconds));
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
