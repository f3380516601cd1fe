package io.atrium.common;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CompletableFuture;
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
 *
 * <p>Loads are single-flight: when an entry is missing or has expired, the first request loads it
 * and the others asking for the same key meanwhile wait for that answer instead of each loading it.
 * Without this every expiry of a busy credential (a flooding tenant's 64 connections, and everyone
 * sharing its token) became dozens of identical lookups queued for the control-plane connection,
 * and the other tenants' requests waited behind them.
 */
public final class AccessCache<K, V> {
  private record Entry<V>(V value, long epoch, long expiresAtNanos) {}

  /** A load in progress: its answer, and the epoch it was read under. */
  private record Loaded<V>(V value, long epoch) {}

  private final AccessEpoch epoch;
  private final long ttlNanos;
  private final int maxEntries;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<K, CompletableFuture<Loaded<V>>> loading = new ConcurrentHashMap<>();

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
    CompletableFuture<Loaded<V>> mine = new CompletableFuture<>();
    CompletableFuture<Loaded<V>> other = loading.putIfAbsent(key, mine);
    if (other != null) {
      Loaded<V> l;
      try {
        l = other.join();
      } catch (RuntimeException failed) {
        l = null; // the loader's failure is its own; this caller tries for itself
      }
      // Only an answer read under this caller's epoch or a later one: a change it may have seen
      // must be reflected in what it gets.
      if (l != null && l.epoch() - seen >= 0) {
        return l.value();
      }
      return load.apply(key);
    }
    V v;
    try {
      v = load.apply(key);
      mine.complete(new Loaded<>(v, seen));
    } catch (RuntimeException | Error failure) {
      mine.completeExceptionally(failure);
      throw failure;
    } finally {
      loading.remove(key, mine);
    }
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
