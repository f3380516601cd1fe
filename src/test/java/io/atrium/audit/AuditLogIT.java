package io.atrium.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.atrium.audit.AuditEvent.Outcome;
import io.atrium.config.AtriumConfig;
import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import io.atrium.testing.TestDatabases;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The audit chain detects edits, deletions and truncation made behind the server's back (as a
 * database superuser would), and on PostgreSQL the application role cannot make them at all.
 */
class AuditLogIT {
  private static final int N = 20;
  private static final TenantId ACME = new TenantId(1);
  private static final TenantId GLOBEX = new TenantId(2);

  @TempDir Path dataDir;

  static Iterable<TestDatabases.Kind> kinds() {
    return TestDatabases.kinds();
  }

  private AtriumConfig config;

  private Database open(TestDatabases.Kind kind) {
    config = TestDatabases.config(kind, dataDir);
    return Database.open(config);
  }

  private static AuditLog log(Database db) {
    return new AuditLog(db, Clock.fixed(Instant.parse("2025-03-01T09:30:00Z"), ZoneOffset.UTC));
  }

  private static AuditEvent event(int i) {
    Optional<TenantId> tenant = switch (i % 3) {
      case 0 -> Optional.empty();
      case 1 -> Optional.of(ACME);
      default -> Optional.of(GLOBEX);
    };
    return new AuditEvent(i % 2 == 0 ? "alice" : "svc-trainer", tenant, i % 4 == 0 ? "runs.create" : "experiments.get",
        "/t/acme/api/2.0/mlflow/runs/" + i, i % 5 == 0 ? Outcome.DENIED : Outcome.OK, "req-" + i, "10.0.0." + i);
  }

  private static AuditLog populated(Database db) {
    AuditLog log = log(db);
    for (int i = 1; i <= N; i++) {
      log.record(event(i));
    }
    AuditLog.Verification v = log.verify();
    assertThat(v.intact()).as(v.detail()).isTrue();
    assertThat(v.entriesChecked()).isEqualTo(N);
    assertThat(v.firstBadSeq()).isEmpty();
    return log;
  }

  /** Changes rows the way someone with direct database access would: not through the server's role. */
  private void tamper(TestDatabases.Kind kind, Database db, String sql) throws SQLException {
    if (kind == TestDatabases.Kind.POSTGRES) {
      String database = config.databaseUrl().substring(config.databaseUrl().lastIndexOf('/') + 1);
      try (Connection c = TestDatabases.superuser(database); Statement s = c.createStatement()) {
        assertThat(s.executeUpdate(sql)).isEqualTo(1);
      }
    } else {
      // H2 has no grants to get around, and the file is locked by the open Database: use its handle.
      int changed = db.platform(h -> h.execute(sql));
      assertThat(changed).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void recordsAChainThatVerifiesAndListsPerTenant(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      AuditLog log = populated(db);
      List<AuditEntry> all = log.list(Optional.empty(), 0, 100);
      assertThat(all).extracting(AuditEntry::seq).containsExactlyElementsOf(
          java.util.stream.LongStream.rangeClosed(1, N).map(i -> N + 1 - i).boxed().toList());
      AuditEntry first = all.get(N - 1);
      assertThat(first.prevHash()).isEqualTo("0".repeat(64));
      assertThat(first.tenantId()).isEqualTo(ACME.value());
      assertThat(first.clientAddress()).isEqualTo("10.0.0.1");
      for (int i = 0; i < N - 1; i++) {
        assertThat(all.get(i).prevHash()).isEqualTo(all.get(i + 1).entryHash());
      }
      assertThat(log.list(Optional.of(ACME), 0, 100))
          .isNotEmpty()
          .allSatisfy(e -> assertThat(e.tenantId()).isEqualTo(ACME.value()));
      assertThat(log.list(Optional.of(GLOBEX), 0, 100)).extracting(AuditEntry::seq).doesNotContain(1L, 3L);
      assertThat(log.list(Optional.empty(), 11, 5)).extracting(AuditEntry::seq).containsExactly(10L, 9L, 8L, 7L, 6L);
    }
  }

  /**
   * A carried entry commits with the first transaction that changes data, and only if that
   * transaction commits; reads before it and transactions after it carry nothing.
   */
  @ParameterizedTest
  @MethodSource("kinds")
  void aCarriedEntryCommitsWithTheFirstChangeAndOnlyWithIt(TestDatabases.Kind kind) {
    try (Database db = open(kind)) {
      AuditLog log = log(db);
      String change = "UPDATE audit_chain_head SET last_seq = last_seq WHERE id = 1";
      try (AuditLog.Carried carried = log.carry(() -> event(1))) {
        db.platform(h -> h.createQuery("SELECT COUNT(*) FROM audit_chain_head").mapTo(Long.class).one());
        assertThat(carried.written()).as("a read carries nothing").isFalse();
        assertThatThrownBy(() -> db.platform(h -> {
          h.execute(change);
          throw new IllegalStateException("the change fails after its statement");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(carried.written()).as("a rolled-back change carries nothing").isFalse();
        assertThat(outbox(db)).isZero();
        db.platform(h -> h.execute(change));
        assertThat(carried.written()).isTrue();
        db.platform(h -> h.execute(change));
      }
      db.platform(h -> h.execute("UPDATE audit_chain_head SET last_seq = last_seq WHERE id = 1"));
      List<AuditEntry> entries = log.list(Optional.empty(), 0, 10);
      assertThat(entries).as("one entry, from the first committed change only")
          .singleElement().satisfies(e -> assertThat(e.requestId()).isEqualTo("req-1"));
      assertThat(outbox(db)).as("listing chains what was pending").isZero();
      assertThat(log.verify().intact()).isTrue();
    }
  }

  private static long outbox(Database db) {
    return db.platform(h -> h.createQuery("SELECT COUNT(*) FROM audit_outbox").mapTo(Long.class).one());
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void anEditedEntryIsTheFirstBadOne(TestDatabases.Kind kind) throws SQLException {
    try (Database db = open(kind)) {
      AuditLog log = populated(db);
      tamper(kind, db, "UPDATE audit_log SET resource = '/t/acme/api/2.0/mlflow/runs/innocent' WHERE seq = 7");
      AuditLog.Verification v = log.verify();
      assertThat(v.intact()).isFalse();
      assertThat(v.firstBadSeq()).contains(7L);
      assertThat(v.detail()).contains("7").contains("modified");
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void anEditWithARecomputedHashBreaksTheNextLink(TestDatabases.Kind kind) throws SQLException {
    try (Database db = open(kind)) {
      AuditLog log = populated(db);
      AuditEntry e = log.list(Optional.empty(), 6, 1).get(0);
      assertThat(e.outcome()).isEqualTo("denied");
      String forged = AuditLog.hash(e.seq(), e.ts(), e.actor(), e.tenantId(), e.action(), e.resource(), "ok",
          e.requestId(), e.clientAddress(), e.prevHash());
      tamper(kind, db, "UPDATE audit_log SET outcome = 'ok', entry_hash = '" + forged + "' WHERE seq = 5");
      AuditLog.Verification v = log.verify();
      assertThat(v.firstBadSeq()).as("entry 5 now hashes correctly; entry 6 still links to its old hash").contains(6L);
      assertThat(v.detail()).contains("does not link");
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aDeletedMiddleEntryIsReportedAsAGap(TestDatabases.Kind kind) throws SQLException {
    try (Database db = open(kind)) {
      AuditLog log = populated(db);
      tamper(kind, db, "DELETE FROM audit_log WHERE seq = 10");
      AuditLog.Verification v = log.verify();
      assertThat(v.intact()).isFalse();
      assertThat(v.firstBadSeq()).contains(10L);
      assertThat(v.detail()).contains("10").contains("missing");
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aDeletedLastEntryIsReportedAsTruncation(TestDatabases.Kind kind) throws SQLException {
    try (Database db = open(kind)) {
      AuditLog log = populated(db);
      tamper(kind, db, "DELETE FROM audit_log WHERE seq = " + N);
      AuditLog.Verification v = log.verify();
      assertThat(v.intact()).isFalse();
      assertThat(v.entriesChecked()).isEqualTo(N - 1);
      assertThat(v.firstBadSeq()).contains((long) N);
      assertThat(v.detail()).contains("truncated");
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void concurrentAppendersFromTwoReplicasBuildOneChain(TestDatabases.Kind kind) throws Exception {
    try (Database first = open(kind); Database second = Database.open(config)) {
      List<AuditLog> replicas = List.of(log(first), log(second));
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
          AuditLog replica = replicas.get(t % 2);
          done.add(pool.submit(() -> {
            for (int i = 1; i <= 15; i++) {
              replica.record(event(i));
            }
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      AuditLog.Verification v = replicas.get(0).verify();
      assertThat(v.intact()).as(v.detail()).isTrue();
      assertThat(v.entriesChecked()).isEqualTo(90);
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void theApplicationRoleCannotRewriteTheLog(TestDatabases.Kind kind) {
    assumeTrue(kind == TestDatabases.Kind.POSTGRES, "H2 runs as its only user; grants are PostgreSQL's");
    try (Database db = open(kind)) {
      AuditLog log = populated(db);
      for (String sql : List.of("UPDATE audit_log SET resource = 'x' WHERE seq = 3", "DELETE FROM audit_log WHERE seq = 3",
          "DELETE FROM audit_log", "TRUNCATE audit_log")) {
        assertThatThrownBy(() -> db.platform(h -> h.execute(sql)))
            .as(sql)
            .hasStackTraceContaining("permission denied");
      }
      assertThat(log.verify().intact()).isTrue();
    }
  }
}
