package io.atrium.limits;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void allowsTheBurstThenRefillsAtTheRate() {
    TokenBucket b = new TokenBucket(10, 5, 0);
    for (int i = 0; i < 5; i++) {
      assertThat(b.tryTake(0)).isZero();
    }
    long wait = b.tryTake(0);
    assertThat(wait).isEqualTo(SECOND / 10);
    assertThat(b.tryTake(SECOND / 10)).isZero();
    assertThat(b.tryTake(SECOND / 10)).isPositive();
  }

  @Test
  void neverHoldsMoreThanItsCapacityAfterALongQuietPeriod() {
    TokenBucket b = new TokenBucket(100, 3, 0);
    long later = 3600 * SECOND;
    int granted = 0;
    while (b.tryTake(later) == 0) {
      granted++;
    }
    assertThat(granted).isEqualTo(3);
  }

  @Test
  void acceptsOverOneSecondOfTrafficAtExactlyTheRate() {
    TokenBucket b = new TokenBucket(200, 1, 0);
    int granted = 0;
    for (long t = 0; t < SECOND; t += SECOND / 2000) { // offered 2000/s, ten times the rate
      if (b.tryTake(t) == 0) {
        granted++;
      }
    }
    assertThat(granted).isBetween(199, 201);
  }
}
