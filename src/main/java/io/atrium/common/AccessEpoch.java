package io.atrium.common;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A counter that moves after every committed change to who may do what: tokens, principals,
 * memberships, tenants and their status. Caches of access decisions ({@link AccessCache}) keep an
 * entry only while the epoch is the one they read it under, so a revocation, a removed member or a
 * suspended tenant takes effect on this replica's very next request.
 *
 * <p>Writers call {@link #advance()} after their transaction commits; readers take {@link #current()}
 * before they read the database. Either order of a concurrent read and write then ends with the
 * entry discarded or fresh, never stale.
 */
public final class AccessEpoch {
  private final AtomicLong epoch = new AtomicLong();

  public long current() {
    return epoch.get();
  }

  public void advance() {
    epoch.incrementAndGet();
  }
}
