package io.atrium.usage;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import java.util.List;
import java.util.Map;

/** SQL for the hourly usage counters. Tenant-owned: written and read inside the tenant's transaction. */
public final class UsageStore {
  /** One stored counter row. */
  public record Row(long hourStart, UsageCounter counter, long value) {}

  private final Database db;

  public UsageStore(Database db) {
    this.db = requireNonNull(db);
  }

  /** Adds each delta to its (hour, counter) row, creating rows as needed, in one transaction. */
  public void add(TenantId tenant, Map<Long, Map<UsageCounter, Long>> deltasByHour) {
    db.inTenant(
        tenant,
        h -> {
          deltasByHour.forEach(
              (hour, deltas) ->
                  deltas.forEach(
                      (counter, delta) -> {
                        int updated =
                            h.createUpdate(
                                    """
                                    UPDATE usage_counters SET counter_value = counter_value + :d
                                    WHERE tenant_id = :t AND hour_start = :h AND counter = :c""")
                                .bind("d", delta)
                                .bind("t", tenant.value())
                                .bind("h", hour)
                                .bind("c", counter.wire())
                                .execute();
                        if (updated == 0) {
                          h.createUpdate(
                                  """
                                  INSERT INTO usage_counters (tenant_id, hour_start, counter, counter_value)
                                  VALUES (:t, :h, :c, :d)""")
                              .bind("d", delta)
                              .bind("t", tenant.value())
                              .bind("h", hour)
                              .bind("c", counter.wire())
                              .execute();
                        }
                      }));
          return null;
        });
  }

  /** Rows with {@code from <= hour_start < to}, oldest first. */
  public List<Row> rows(TenantId tenant, long from, long to) {
    return db.inTenant(
        tenant,
        h ->
            h.createQuery(
                    """
                    SELECT hour_start, counter, counter_value FROM usage_counters
                    WHERE tenant_id = :t AND hour_start >= :from AND hour_start < :to
                    ORDER BY hour_start, counter""")
                .bind("t", tenant.value())
                .bind("from", from)
                .bind("to", to)
                .map((rs, ctx) -> new Row(rs.getLong(1), UsageCounter.fromDb(rs.getString(2)), rs.getLong(3)))
                .list());
  }
}
