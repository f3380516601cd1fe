package io.atrium.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.common.MlflowError;
import io.atrium.tenancy.TenantId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ConnectionShareTest {
  private static final TenantId N = new TenantId(1);
  private static final TenantId Q = new TenantId(2);
  private static final TenantId R = new TenantId(3);

  /** Takes a slot on its own virtual thread and holds it until released; returns once it got it or gave up. */
  private static final class Holder {
    final CountDownLatch got = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Thread thread;

    Holder(ConnectionShare share, TenantId t) {
      thread = Thread.ofVirtual().start(() -> {
        try {
          ConnectionShare.Slot slot = share.acquire(t);
          got.countDown();
          release.await();
          slot.close();
        } catch (Throwable e) {
          failure.set(e);
          got.countDown();
        }
      });
    }

    boolean gotWithin(long ms) throws InterruptedException {
      return got.await(ms, TimeUnit.MILLISECONDS) && failure.get() == null;
    }

    void done() throws InterruptedException {
      release.countDown();
      thread.join();
    }
  }

  @Test
  void aTenantAloneCannotTakeTheHeadroom() throws Exception {
    ConnectionShare share = new ConnectionShare(8, 2, 5_000_000_000L);
    List<Holder> n = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      n.add(new Holder(share, N));
      assertThat(n.get(i).gotWithin(2_000)).isTrue();
    }
    Holder seventh = new Holder(share, N);
    assertThat(seventh.gotWithin(200)).isFalse();
    // Another tenant arriving now finds a connection at once.
    Holder q = new Holder(share, Q);
    assertThat(q.gotWithin(2_000)).isTrue();
    assertThat(share.waiting()).isEqualTo(1);
    n.get(0).done();
    assertThat(seventh.gotWithin(2_000)).isTrue();
    q.done();
    seventh.done();
    for (Holder h : n.subList(1, 6)) {
      h.done();
    }
  }

  @Test
  void aFreedSlotGoesToTheWaitingTenantHoldingTheFewest() throws Exception {
    ConnectionShare share = new ConnectionShare(4, 0, 5_000_000_000L);
    List<Holder> n = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      n.add(new Holder(share, N));
      assertThat(n.get(i).gotWithin(2_000)).isTrue();
    }
    Holder r = new Holder(share, R);
    assertThat(r.gotWithin(2_000)).isTrue();
    Holder nWaits = new Holder(share, N); // waits first...
    assertThat(nWaits.gotWithin(200)).isFalse();
    Holder qWaits = new Holder(share, Q); // ...but Q holds none, so Q is served first
    assertThat(qWaits.gotWithin(200)).isFalse();
    n.get(0).done();
    assertThat(qWaits.gotWithin(2_000)).isTrue();
    assertThat(nWaits.gotWithin(200)).isFalse();
    n.get(1).done();
    assertThat(nWaits.gotWithin(2_000)).isTrue();
    for (Holder h : List.of(n.get(2), r, nWaits, qWaits)) {
      h.done();
    }
  }

  /** Equal holdings (none): a tenant's queued burst, then another tenant's single transaction. */
  @Test
  void withOneSlotTheWaitingTenantsTakeTurns() throws Exception {
    ConnectionShare share = new ConnectionShare(1, 0, 5_000_000_000L);
    Holder running = new Holder(share, N);
    assertThat(running.gotWithin(2_000)).isTrue();
    List<Holder> burst = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      burst.add(new Holder(share, N));
      assertThat(burst.get(i).gotWithin(50)).isFalse();
    }
    Holder q = new Holder(share, Q); // queued last, behind five of N's
    assertThat(q.gotWithin(50)).isFalse();
    assertThat(share.waiting()).isEqualTo(6);
    running.done();
    // N was served last, Q not yet: Q's turn comes before the rest of N's burst.
    assertThat(q.gotWithin(2_000)).isTrue();
    for (Holder h : burst) {
      assertThat(h.gotWithin(50)).isFalse();
    }
    Holder q2 = new Holder(share, Q);
    q.done();
    // Now N's turn (Q was served last), then Q's again, then N's in the order they came.
    assertThat(burst.get(0).gotWithin(2_000)).isTrue();
    assertThat(q2.gotWithin(50)).isFalse();
    burst.get(0).done();
    assertThat(q2.gotWithin(2_000)).isTrue();
    q2.done();
    for (Holder h : burst.subList(1, 5)) {
      assertThat(h.gotWithin(2_000)).isTrue();
      h.done();
    }
    assertThat(share.waiting()).isZero();
  }

  @Test
  void aNestedTransactionDoesNotTakeASecondSlot() {
    ConnectionShare share = new ConnectionShare(1, 0, 100_000_000L);
    ConnectionShare.Slot outer = share.acquire(N);
    ConnectionShare.Slot inner = share.acquire(N);
    assertThat(share.waiting()).isZero();
    inner.close();
    outer.close();
    share.acquire(Q).close();
  }

  @Test
  void waitingTooLongIs503AndLeavesNoTrace() throws Exception {
    ConnectionShare share = new ConnectionShare(1, 0, 100_000_000L);
    Holder n = new Holder(share, N);
    assertThat(n.gotWithin(2_000)).isTrue();
    AtomicReference<Throwable> err = new AtomicReference<>();
    Thread t = Thread.ofVirtual().start(() -> {
      try {
        share.acquire(Q).close();
        err.set(new AssertionError("should have timed out"));
      } catch (Throwable e) {
        err.set(e);
      }
    });
    t.join();
    assertThat(err.get()).isInstanceOf(MlflowError.class);
    assertThat(((MlflowError) err.get()).httpStatus()).isEqualTo(503);
    assertThat(share.waiting()).isZero();
    n.done();
    share.acquire(Q).close();
    assertThatThrownBy(() -> new ConnectionShare(0, 0, 1)).isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Database closes a slot once its transaction has committed, before the wait for H2's group
   * commit, and again when the request's work ends: the second close must not free a slot twice.
   */
  @Test
  void closingASlotTwiceFreesItOnce() throws Exception {
    ConnectionShare share = new ConnectionShare(2, 0, 5_000_000_000L);
    ConnectionShare.Slot outer = share.acquire(N);
    ConnectionShare.Slot nested = share.acquire(N); // same thread: no second slot
    nested.close();
    nested.close();
    outer.close();
    outer.close();
    // Had a close counted twice, three slots would now be free of two: a third holder would get one.
    Holder a = new Holder(share, Q);
    Holder b = new Holder(share, Q);
    assertThat(a.gotWithin(2_000)).isTrue();
    assertThat(b.gotWithin(2_000)).isTrue();
    Holder c = new Holder(share, R);
    assertThat(c.gotWithin(200)).isFalse();
    a.done();
    assertThat(c.gotWithin(2_000)).isTrue();
    b.done();
    c.done();
  }
}
