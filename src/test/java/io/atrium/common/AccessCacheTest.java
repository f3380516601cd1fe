package io.atrium.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AccessCacheTest {
  private final AccessEpoch epoch = new AccessEpoch();
  private final AtomicLong now = new AtomicLong(1_000);
  private final AtomicInteger loads = new AtomicInteger();
  private final AccessCache<String, String> cache = new AccessCache<>(epoch, 100, 3, now::get);

  private String load(String k) {
    loads.incrementAndGet();
    return k + "#" + loads.get();
  }

  @Test
  void aValueIsServedFromMemoryUntilItsTimeIsUp() {
    assertThat(cache.get("a", this::load)).isEqualTo("a#1");
    now.addAndGet(99);
    assertThat(cache.get("a", this::load)).isEqualTo("a#1");
    now.addAndGet(1);
    assertThat(cache.get("a", this::load)).isEqualTo("a#2");
  }

  @Test
  void anyChangeOfTheEpochDropsEveryEntry() {
    cache.get("a", this::load);
    cache.get("b", this::load);
    epoch.advance();
    assertThat(cache.get("a", this::load)).isEqualTo("a#3");
    assertThat(cache.get("b", this::load)).isEqualTo("b#4");
  }

  @Test
  void aReadThatRacedAChangeIsNotKeptUnderTheNewEpoch() {
    // The loader sees the old state, and the change commits (epoch moves) while it runs.
    String v = cache.get("a", k -> {
      epoch.advance();
      return "stale";
    });
    assertThat(v).isEqualTo("stale");
    assertThat(cache.get("a", this::load)).isEqualTo("a#1");
  }

  @Test
  void aLifetimeCapShortensTheEntry() {
    cache.get("a", this::load, v -> now.get() + 10);
    now.addAndGet(10);
    assertThat(cache.get("a", this::load)).isEqualTo("a#2");
  }

  @Test
  void nullAndFailuresAreNotCached() {
    assertThat(cache.get("a", k -> null)).isNull();
    assertThatThrownBy(() -> cache.get("a", k -> {
      throw new IllegalStateException("db down");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(cache.get("a", this::load)).isEqualTo("a#1");
  }

  @Test
  void aFullCacheStartsAfresh() {
    cache.get("a", this::load);
    cache.get("b", this::load);
    cache.get("c", this::load);
    assertThat(cache.size()).isEqualTo(3);
    cache.get("d", this::load);
    assertThat(cache.size()).isEqualTo(1);
  }
}
