package io.atrium.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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

  /** A load that blocks until released, so that other callers arrive while it runs. */
  private final CountDownLatch loadStarted = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);

  private String slowLoad(String k) {
    loads.incrementAndGet();
    loadStarted.countDown();
    try {
      if (!release.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("never released");
      }
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    return k + "#slow";
  }

  /** Callers that arrive while a load of their key is running: they must be parked on it before the release. */
  private List<Future<String>> waiters(java.util.concurrent.ExecutorService pool, int n, java.util.function.Function<String, String> load)
      throws InterruptedException {
    List<Future<String>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(pool.submit(() -> cache.get("a", load)));
    }
    Thread.sleep(200); // let them reach the in-flight load
    return out;
  }

  @Test
  void concurrentMissesOfOneKeyShareOneLoad() throws Exception {
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      Future<String> first = pool.submit(() -> cache.get("a", this::slowLoad));
      assertThat(loadStarted.await(10, TimeUnit.SECONDS)).isTrue();
      List<Future<String>> others = waiters(pool, 20, this::load);
      release.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("a#slow");
      for (Future<String> f : others) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("a#slow");
      }
    }
    assertThat(loads.get()).isEqualTo(1);
  }

  @Test
  void aCallerThatSawANewerEpochDoesNotTakeAnOlderLoad() throws Exception {
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      Future<String> first = pool.submit(() -> cache.get("a", this::slowLoad));
      assertThat(loadStarted.await(10, TimeUnit.SECONDS)).isTrue();
      epoch.advance(); // a change commits while the first load runs
      Future<String> later = pool.submit(() -> cache.get("a", this::load));
      Thread.sleep(200);
      release.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("a#slow");
      assertThat(later.get(10, TimeUnit.SECONDS)).isEqualTo("a#2");
    }
  }

  @Test
  void aFailedLoadLetsEachWaiterTryForItself() throws Exception {
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      Future<String> first = pool.submit(() -> cache.get("a", k -> {
        slowLoad(k);
        throw new IllegalStateException("db down");
      }));
      assertThat(loadStarted.await(10, TimeUnit.SECONDS)).isTrue();
      List<Future<String>> others = waiters(pool, 3, this::load);
      release.countDown();
      assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
      for (Future<String> f : others) {
        assertThat(f.get(10, TimeUnit.SECONDS)).startsWith("a#");
      }
    }
    assertThat(cache.get("a", this::load)).startsWith("a#"); // cached by one of them
  }
}
