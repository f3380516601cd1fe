package io.atrium.limits;

import static java.util.Objects.requireNonNull;

import io.atrium.db.Database;
import io.atrium.tenancy.TenantId;
import java.util.Optional;
import java.util.OptionalLong;

/** SQL for per-tenant limit overrides (control plane). A NULL column means "the platform default". */
public final class LimitStore {
  /** Overrides as stored; empty fields fall back to the platform defaults. */
  public record Overrides(
      Optional<Double> rps, Optional<Integer> burst, Optional<Integer> concurrency, Optional<Double> runsPerMinute,
      OptionalLong storageBytes) {
    public static final Overrides NONE =
        new Overrides(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), OptionalLong.empty());
  }

  private final Database db;

  public LimitStore(Database db) {
    this.db = requireNonNull(db);
  }

  public Overrides get(TenantId tenant) {
    return db.platform(
        h ->
            h.createQuery("SELECT * FROM tenant_limits WHERE tenant_id = :t")
                .bind("t", tenant.value())
                .map(
                    (rs, ctx) -> {
                      double rps = rs.getDouble("rps");
                      boolean rpsNull = rs.wasNull();
                      int burst = rs.getInt("burst");
                      boolean burstNull = rs.wasNull();
                      int conc = rs.getInt("concurrency");
                      boolean concNull = rs.wasNull();
                      double rpm = rs.getDouble("runs_per_minute");
                      boolean rpmNull = rs.wasNull();
                      long storage = rs.getLong("storage_bytes");
                      boolean storageNull = rs.wasNull();
                      return new Overrides(
                          rpsNull ? Optional.empty() : Optional.of(rps),
                          burstNull ? Optional.empty() : Optional.of(burst),
                          concNull ? Optional.empty() : Optional.of(conc),
                          rpmNull ? Optional.empty() : Optional.of(rpm),
                          storageNull ? OptionalLong.empty() : OptionalLong.of(storage));
                    })
                .findOne()
                .orElse(Overrides.NONE));
  }

  public void put(TenantId tenant, Overrides o, long now) {
    db.platform(
        h -> {
          h.createUpdate("DELETE FROM tenant_limits WHERE tenant_id = :t").bind("t", tenant.value()).execute();
          h.createUpdate(
                  """
                  INSERT INTO tenant_limits (tenant_id, rps, burst, concurrency, runs_per_minute, storage_bytes, updated_at)
                  VALUES (:t, :rps, :burst, :conc, :rpm, :storage, :now)""")
              .bind("t", tenant.value())
              .bind("rps", o.rps().orElse(null))
              .bind("burst", o.burst().orElse(null))
              .bind("conc", o.concurrency().orElse(null))
              .bind("rpm", o.runsPerMinute().orElse(null))
              .bind("storage", o.storageBytes().isPresent() ? o.storageBytes().getAsLong() : null)
              .bind("now", now)
              .execute();
          return null;
        });
  }
}
