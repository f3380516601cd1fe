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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * The append-only, hash-chained audit log. Each entry's hash covers its own fields and the previous
 * entry's hash, so editing an entry breaks its own hash and deleting one breaks the sequence or the
 * next entry's link; {@link #verify()} finds the first such break.
 *
 * <p>Appends serialize on the single chain-head row ({@code SELECT ... FOR UPDATE}), which keeps one
 * chain even with several replicas on one PostgreSQL; within a replica, appenders queue and the one
 * holding the lock commits everything queued in one transaction (group commit).
 */
public final class AuditLog {
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

  /** The result of a chain check: intact, or the first sequence number that does not verify and why. */
  public record Verification(boolean intact, long entriesChecked, Optional<Long> firstBadSeq, String detail) {}

  private final Database db;
  private final Clock clock;
  private final ReentrantLock appendLock = new ReentrantLock();
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

  public AuditLog(Database db, Clock clock) {
    this.db = requireNonNull(db);
    this.clock = requireNonNull(clock);
  }

  /**
   * Appends one entry and returns once it is committed. Concurrent callers share a transaction
   * (group commit): whoever holds the append lock writes every entry queued so far, in queue order,
   * so a burst of N requests costs one commit, not N commits one after the other.
   */
  public void record(AuditEvent e) {
    Pending mine = new Pending(e);
    queue.add(mine);
    appendLock.lock();
    try {
      if (!mine.done) {
        List<Pending> batch = new ArrayList<>();
        for (Pending p; (p = queue.poll()) != null; ) {
          batch.add(p);
        }
        try {
          append(batch);
        } catch (RuntimeException ex) {
          // One bad entry must not fail its neighbours: write them one at a time, each with its own outcome.
          for (Pending p : batch) {
            try {
              append(List.of(p));
            } catch (RuntimeException single) {
              p.failure = single;
            }
          }
        }
        for (Pending p : batch) {
          p.done = true;
        }
      }
    } finally {
      appendLock.unlock();
    }
    if (mine.failure != null) {
      throw mine.failure;
    }
  }

  /** A queued entry; written and read under {@code appendLock}. */
  private static final class Pending {
    final AuditEvent event;
    boolean done;
    RuntimeException failure;

    Pending(AuditEvent event) {
      this.event = event;
    }
  }

  private void append(List<Pending> batch) {
    db.platform(
        h -> {
          var head =
              h.createQuery("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE")
                  .map((rs, ctx) -> new Object[] {rs.getLong(1), rs.getString(2)})
                  .one();
          long seq = (Long) head[0];
          String prev = (String) head[1];
          long ts = clock.millis();
          var insert =
              h.prepareBatch(
                  """
                  INSERT INTO audit_log (seq, ts, actor, tenant_id, action, resource, outcome, request_id,
                                         client_addr, prev_hash, entry_hash)
                  VALUES (:seq, :ts, :actor, :tenant, :action, :resource, :outcome, :rid, :addr, :prev, :hash)""");
          for (Pending p : batch) {
            AuditEvent e = p.event;
            seq++;
            long tenant = e.tenant().map(TenantId::value).orElse(0L);
            String hash =
                hash(seq, ts, e.actor(), tenant, e.action(), e.resource(), e.outcome().wire(), e.requestId(),
                    e.clientAddress(), prev);
            insert
                .bind("seq", seq)
                .bind("ts", ts)
                .bind("actor", e.actor())
                .bind("tenant", tenant == 0 ? null : tenant)
                .bind("action", e.action())
                .bind("resource", e.resource())
                .bind("outcome", e.outcome().wire())
                .bind("rid", e.requestId())
                .bind("addr", e.clientAddress())
                .bind("prev", prev)
                .bind("hash", hash)
                .add();
            prev = hash;
          }
          insert.execute();
          h.createUpdate("UPDATE audit_chain_head SET last_seq = :seq, last_hash = :hash WHERE id = 1")
              .bind("seq", seq)
              .bind("hash", prev)
              .execute();
          return null;
        });
  }

  /**
   * Entries newest first.
   *
   * @param tenant only this tenant's entries; empty for every entry (platform admins)
   * @param beforeSeq only entries older than this (paging); 0 for the newest
   */
  public List<AuditEntry> list(Optional<TenantId> tenant, long beforeSeq, int limit) {
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
