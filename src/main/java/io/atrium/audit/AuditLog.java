package io.atrium.audit;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only, hash-chained audit log. Each entry's hash covers its own fields and the previous
 * entry's hash, so editing an entry breaks its own hash and deleting one breaks the sequence or the
 * next entry's link; {@link #verify()} finds the first such break.
 *
 * <p>An entry is written in two steps. First it is inserted, unchained, into {@code audit_outbox}:
 * for a request that changes data, in the same transaction as the change ({@link #carry}), so the
 * change and its entry commit together and a crash cannot keep one without the other; otherwise in
 * a small transaction of its own ({@link #record}). Then a chainer moves outbox entries into the
 * chain in batches, off the request's path: it gives each its sequence number and hash under the
 * single chain-head row ({@code SELECT ... FOR UPDATE}), which keeps one chain even with several
 * replicas on one PostgreSQL. The chainer runs about 50 ms after a new entry, and
 * {@link #list} and {@link #verify} chain whatever is pending before they read, so a reader always
 * sees every entry committed before it asked. Each entry keeps the time it was recorded.
 */
public final class AuditLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);
  private static final RowMapper<AuditEntry> ENTRY =
      (rs, ctx) ->
          new AuditEntry(
              rs.getLong("seq"),
              rs.getLong("ts"),
              rs.getString("actor"),
              rs.getLong("tenant_id"),
              rs.getString("action"),
              rs.getString("resource"),
              rs.getString("outcome"),
              rs.getString("request_id"),
              rs.getString("client_addr"),
              rs.getString("prev_hash"),
              rs.getString("entry_hash"));

  /** Outbox entries chained per transaction. */
  private static final int CHAIN_BATCH = 500;

  /** How long the chainer lets new entries gather before it chains them. */
  private static final long CHAIN_DELAY_MILLIS = 50;

  /** The chainer thread ends after this long without new entries, and starts again with the next one. */
  private static final long CHAINER_IDLE_SECONDS = 5;

  /** The result of a chain check: intact, or the first sequence number that does not verify and why. */
  public record Verification(boolean intact, long entriesChecked, Optional<Long> firstBadSeq, String detail) {}

  private final Database db;
  private final Clock clock;
  private final ReentrantLock chainLock = new ReentrantLock();
  private final Semaphore pending = new Semaphore(0);
  private final AtomicBoolean chainerRunning = new AtomicBoolean();

  public AuditLog(Database db, Clock clock) {
    this.db = requireNonNull(db);
    this.clock = requireNonNull(clock);
  }

  /**
   * Records one entry and returns once it is committed (in the outbox; the chainer links it into
   * the chain moments later). For events that change nothing else: a denial, a failed request, a
   * read of a shared model.
   */
  public void record(AuditEvent e) {
    db.detached(
        h -> {
          insert(h, e);
          return null;
        });
    signal();
  }

  /** A request's entry riding in the transaction of the change it records; see {@link Database#carry}. */
  public final class Carried implements AutoCloseable {
    private final Database.Carried carried;

    private Carried(Database.Carried carried) {
      this.carried = carried;
    }

    /** Whether a committed change carried the entry; if not, the caller records it itself. */
    public boolean written() {
      return carried.written();
    }

    @Override
    public void close() {
      carried.close();
      if (carried.written()) {
        signal();
      }
    }
  }

  /**
   * Binds {@code event} to the current thread until the result is closed: the first transaction
   * that changes data on this thread writes it to the outbox before it commits. The event is built
   * when that transaction runs (the request body is parsed by then).
   */
  public Carried carry(Supplier<AuditEvent> event) {
    requireNonNull(event);
    return new Carried(db.carry(h -> insert(h, event.get())));
  }

  private void insert(Handle h, AuditEvent e) {
    h.createUpdate(
            """
            INSERT INTO audit_outbox (ts, actor, tenant_id, action, resource, outcome, request_id, client_addr)
            VALUES (:ts, :actor, :tenant, :action, :resource, :outcome, :rid, :addr)""")
        .bind("ts", clock.millis())
        .bind("actor", e.actor())
        .bind("tenant", e.tenant().map(TenantId::value).orElse(null))
        .bind("action", e.action())
        .bind("resource", e.resource())
        .bind("outcome", e.outcome().wire())
        .bind("rid", e.requestId())
        .bind("addr", e.clientAddress())
        .execute();
  }

  /** Wakes the chainer, starting it when it is not running. */
  private void signal() {
    pending.release();
    if (chainerRunning.compareAndSet(false, true)) {
      Thread.ofVirtual().name("atrium-audit-chainer").start(this::chainerLoop);
    }
  }

  private void chainerLoop() {
    try {
      while (true) {
        if (!pending.tryAcquire(CHAINER_IDLE_SECONDS, TimeUnit.SECONDS)) {
          chainerRunning.set(false);
          // A signal that came after the wait gave up but before the flag went down found the
          // chainer still running and started none: take it over here.
          if (pending.availablePermits() > 0 && chainerRunning.compareAndSet(false, true)) {
            continue;
          }
          return;
        }
        // Let entries gather: one chaining transaction per ~50 ms whatever the request rate, where
        // one per entry cost six statements (or an H2 commit) for each request under load.
        Thread.sleep(CHAIN_DELAY_MILLIS);
        pending.drainPermits();
        try {
          chainPending();
        } catch (RuntimeException e) {
          // Nothing is lost: the entries stay in the outbox for the next round (the next entry's
          // signal, the next reader, or the next start).
          log.warn("event=audit_chain_failed error={}", e.toString());
          Thread.sleep(200);
        }
      }
    } catch (InterruptedException e) {
      chainerRunning.set(false);
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Moves every committed outbox entry into the chain, oldest first; returns how many. Entries of
   * transactions still in flight are not visible yet and are chained by a later round.
   */
  public int chainPending() {
    chainLock.lock();
    try {
      int total = 0;
      while (true) {
        int n = db.detached(this::chainBatch);
        total += n;
        if (n < CHAIN_BATCH) {
          return total;
        }
      }
    } finally {
      chainLock.unlock();
    }
  }

  private int chainBatch(Handle h) {
    // The head first: its row lock orders this replica's chaining with every other replica's, and
    // what the outbox holds is read only once the lock is held.
    var head =
        h.createQuery("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE")
            .map((rs, ctx) -> new Object[] {rs.getLong(1), rs.getString(2)})
            .one();
    List<Outboxed> batch =
        h.createQuery("SELECT * FROM audit_outbox ORDER BY id LIMIT " + CHAIN_BATCH)
            .map((rs, ctx) -> new Outboxed(rs.getLong("id"), rs.getLong("ts"), rs.getString("actor"),
                rs.getLong("tenant_id"), rs.getString("action"), rs.getString("resource"), rs.getString("outcome"),
                rs.getString("request_id"), rs.getString("client_addr")))
            .list();
    if (batch.isEmpty()) {
      return 0;
    }
    long seq = (Long) head[0];
    String prev = (String) head[1];
    var insert =
        h.prepareBatch(
            """
            INSERT INTO audit_log (seq, ts, actor, tenant_id, action, resource, outcome, request_id,
                                   client_addr, prev_hash, entry_hash)
            VALUES (:seq, :ts, :actor, :tenant, :action, :resource, :outcome, :rid, :addr, :prev, :hash)""");
    List<Long> ids = new ArrayList<>(batch.size());
    for (Outboxed e : batch) {
      seq++;
      String hash = hash(seq, e.ts(), e.actor(), e.tenant(), e.action(), e.resource(), e.outcome(), e.requestId(),
          e.clientAddress(), prev);
      insert
          .bind("seq", seq)
          .bind("ts", e.ts())
          .bind("actor", e.actor())
          .bind("tenant", e.tenant() == 0 ? null : e.tenant())
          .bind("action", e.action())
          .bind("resource", e.resource())
          .bind("outcome", e.outcome())
          .bind("rid", e.requestId())
          .bind("addr", e.clientAddress())
          .bind("prev", prev)
          .bind("hash", hash)
          .add();
      prev = hash;
      ids.add(e.id());
    }
    insert.execute();
    h.createUpdate("DELETE FROM audit_outbox WHERE id IN (<ids>)").bindList("ids", ids).execute();
    h.createUpdate("UPDATE audit_chain_head SET last_seq = :seq, last_hash = :hash WHERE id = 1")
        .bind("seq", seq)
        .bind("hash", prev)
        .execute();
    return batch.size();
  }

  /** An entry waiting in the outbox; {@code tenant} 0 for none. */
  private record Outboxed(long id, long ts, String actor, long tenant, String action, String resource, String outcome,
      String requestId, String clientAddress) {}

  /** Chains what is pending, so a clean shutdown leaves the outbox empty. */
  @Override
  public void close() {
    try {
      chainPending();
    } catch (RuntimeException e) {
      log.warn("event=audit_chain_on_close_failed error={} (the outbox keeps the entries for the next start)",
          e.toString());
    }
  }

  /**
   * Entries newest first.
   *
   * @param tenant only this tenant's entries; empty for every entry (platform admins)
   * @param beforeSeq only entries older than this (paging); 0 for the newest
   */
  public List<AuditEntry> list(Optional<TenantId> tenant, long beforeSeq, int limit) {
    chainPending();
    return db.platform(
        h ->
            h.createQuery(
                    """
                    SELECT * FROM audit_log
                    WHERE (:all OR tenant_id = :tenant) AND (:before = 0 OR seq < :before)
                    ORDER BY seq DESC LIMIT :limit""")
                .bind("all", tenant.isEmpty())
                .bind("tenant", tenant.map(TenantId::value).orElse(0L))
                .bind("before", beforeSeq)
                .bind("limit", limit)
                .map(ENTRY)
                .list());
  }

  /** Walks the whole chain in order and reports the first entry that was edited, removed or reordered. */
  public Verification verify() {
    chainPending();
    return db.platform(
        h -> {
          var head =
              h.createQuery("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1")
                  .map((rs, ctx) -> new Object[] {rs.getLong(1), rs.getString(2)})
                  .one();
          long expectedSeq = 1;
          String prev = "0".repeat(64);
          long checked = 0;
          try (var it = h.createQuery("SELECT * FROM audit_log ORDER BY seq").setFetchSize(1000).map(ENTRY).iterator()) {
            while (it.hasNext()) {
              AuditEntry e = it.next();
              checked++;
              if (e.seq() != expectedSeq) {
                return new Verification(false, checked, Optional.of(expectedSeq),
                    "entry " + expectedSeq + " is missing (next present entry is " + e.seq() + ")");
              }
              if (!e.prevHash().equals(prev)) {
                return new Verification(false, checked, Optional.of(e.seq()),
                    "entry " + e.seq() + " does not link to the entry before it");
              }
              String recomputed =
                  hash(e.seq(), e.ts(), e.actor(), e.tenantId(), e.action(), e.resource(), e.outcome(), e.requestId(),
                      e.clientAddress(), e.prevHash());
              if (!recomputed.equals(e.entryHash())) {
                return new Verification(false, checked, Optional.of(e.seq()), "entry " + e.seq() + " was modified");
              }
              prev = e.entryHash();
              expectedSeq++;
            }
          }
          long lastSeq = (Long) head[0];
          if (lastSeq != expectedSeq - 1 || !prev.equals(head[1])) {
            return new Verification(false, checked, Optional.of(expectedSeq),
                "entries from " + expectedSeq + " to " + lastSeq + " are missing (the log was truncated)");
          }
          return new Verification(true, checked, Optional.empty(), "chain intact");
        });
  }

  static String hash(
      long seq, long ts, String actor, long tenant, String action, String resource, String outcome, String requestId,
      String clientAddress, String prevHash) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      // Length-prefixed fields: no choice of field values can make two different entries hash alike.
      for (String field :
          new String[] {
            Long.toString(seq), Long.toString(ts), actor, Long.toString(tenant), action, resource, outcome, requestId,
            clientAddress, prevHash
          }) {
        byte[] b = field.getBytes(StandardCharsets.UTF_8);
        md.update((b.length + ":").getBytes(StandardCharsets.US_ASCII));
        md.update(b);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
