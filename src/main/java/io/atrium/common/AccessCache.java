package io.atrium.common;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A small in-memory cache of access decisions (token → principal, principal × tenant → role), so
 * that authenticating and admitting a request costs no database round trip while nothing changed.
 *
 * <p>An entry lives until the {@link AccessEpoch} moves (every identity or tenant change on this
 * replica) or for at most {@code ttlNanos}, which bounds how long another replica's change can go
 * unseen. When the cache holds {@code maxEntries} it is emptied rather than evicted entry by entry:
 * simple, and the next requests refill it.
 */
public final class AccessCache<K, V> {
  private record Entry<V>(V value, long epoch, long expiresAtNanos) {}

  private final AccessEpoch epoch;
  private final long ttlNanos;
  private final int maxEntries;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();

  public AccessCache(AccessEpoch epoch, long ttlNanos, int maxEntries, LongSupplier nanoTime) {
    this.epoch = requireNonNull(epoch);
    this.ttlNanos = ttlNanos;
    this.maxEntries = maxEntries;
    this.nanoTime = requireNonNull(nanoTime);
  }

  /**
   * The cached value for {@code key}, or {@code load}'s answer, which is kept when it is not null.
   * {@code load} may throw; nothing is cached then.
   *
   * @param lifetimeCapNanos an absolute {@code nanoTime} beyond which the value must not be used (a
   *     token's expiry), or {@link Long#MAX_VALUE}
   */
  public V get(K key, Function<K, V> load, Function<V, Long> lifetimeCapNanos) {
    long now = nanoTime.getAsLong();
    long seen = epoch.current();
    Entry<V> e = entries.get(key);
    if (e != null && e.epoch() == seen && now - e.expiresAtNanos() < 0) {
      return e.value();
    }
    V v = load.apply(key);
    if (v == null) {
      entries.remove(key);
      return null;
    }
    if (entries.size() >= maxEntries) {
      entries.clear();
    }
    long expires = now + ttlNanos;
    Long cap = lifetimeCapNanos.apply(v);
    if (cap != null && cap - expires < 0) {
      expires = cap;
    }
    entries.put(key, new Entry<>(v, seen, expires));
    return v;
  }

  public V get(K key, Function<K, V> load) {
    return get(key, load, v -> null);
  }

  public int size() {
    return entries.size();
  }
}
