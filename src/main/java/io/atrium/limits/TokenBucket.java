package io.atrium.limits;

/**
 * A token bucket: {@code capacity} tokens, refilled at {@code ratePerSecond}. Tokens are counted in
 * billionths held in a long, so refills add up exactly (with doubles, ten refills of 0.1 fall short
 * of one token and the bucket silently admits about 9% less than its rate). Thread-safe; the
 * critical section is a few arithmetic operations, so a plain monitor is the cheapest correct lock.
 */
final class TokenBucket {
  private static final long UNIT = 1_000_000_000L;

  private final double ratePerSecond;
  private final double capacityTokens;
  private final long capacity;
  private long units;
  private long last;

  TokenBucket(double ratePerSecond, double capacity, long nowNanos) {
    this.ratePerSecond = ratePerSecond;
    this.capacityTokens = capacity;
    this.capacity = (long) (capacity * UNIT);
    this.units = this.capacity;
    this.last = nowNanos;
  }

  /** Takes one token; returns 0 on success, else the nanoseconds until one is available. */
  synchronized long tryTake(long nowNanos) {
    if (nowNanos > last) {
      // elapsed ns × tokens/s = billionths of a token.
      units = Math.min(capacity, units + Math.round((nowNanos - last) * ratePerSecond));
      last = nowNanos;
    }
    if (units >= UNIT) {
      units -= UNIT;
      return 0;
    }
    return (long) Math.ceil((UNIT - units) / ratePerSecond);
  }

  boolean sameShape(double ratePerSecond, double capacity) {
    return this.ratePerSecond == ratePerSecond && this.capacityTokens == capacity;
  }
}
