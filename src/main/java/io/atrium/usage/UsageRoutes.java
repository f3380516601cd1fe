package io.atrium.usage;

import static java.util.Objects.requireNonNull;

import io.atrium.authz.Role;
import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import io.atrium.http.RequestContext;
import io.atrium.http.Route;
import io.atrium.http.Route.Scope;
import io.atrium.tenancy.Tenant;
import io.atrium.tenancy.TenantService;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /api/atrium/v1/tenants/{t}/usage?from=&to=&granularity=hour|day|month}: a tenant's
 * metered usage, for its admins and platform admins. {@code from}/{@code to} are ISO dates
 * ({@code 2026-11-01}) or instants ({@code 2026-11-01T12:00:00Z}), UTC; {@code to} is exclusive.
 * The default window is the current month.
 */
public final class UsageRoutes {
  private final TenantService tenants;
  private final UsageMeter meter;
  private final UsageStore store;
  private final java.time.Clock clock;

  public UsageRoutes(TenantService tenants, UsageMeter meter, UsageStore store, java.time.Clock clock) {
    this.tenants = requireNonNull(tenants);
    this.meter = requireNonNull(meter);
    this.store = requireNonNull(store);
    this.clock = requireNonNull(clock);
  }

  public List<Route> routes() {
    return List.of(Route.read(HandlerType.GET, "/api/atrium/v1/tenants/{name}/usage", Scope.PRINCIPAL, this::usage));
  }

  private void usage(Context ctx) {
    Tenant t = tenants.requireRole(RequestContext.of(ctx), Route.pathParam(ctx, "name"), Role.ADMIN);
    String granularity = ctx.queryParam("granularity") == null ? "day" : ctx.queryParam("granularity").toLowerCase(Locale.ROOT);
    ChronoUnit unit =
        switch (granularity) {
          case "hour" -> ChronoUnit.HOURS;
          case "day" -> ChronoUnit.DAYS;
          case "month" -> ChronoUnit.MONTHS;
          default -> throw MlflowError.invalid("granularity must be hour, day or month, got '" + granularity + "'");
        };
    OffsetDateTime now = Instant.ofEpochMilli(clock.millis()).atOffset(ZoneOffset.UTC);
    OffsetDateTime monthStart = now.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
    long from = parse(ctx.queryParam("from"), monthStart.toInstant().toEpochMilli(), "from");
    long to = parse(ctx.queryParam("to"), monthStart.plusMonths(1).toInstant().toEpochMilli(), "to");
    if (to <= from) {
      throw MlflowError.invalid("'to' must be after 'from'");
    }
    if ((to - from) / UsageMeter.HOUR > 24L * 366 * 5) {
      throw MlflowError.invalid("the window may span at most five years");
    }
    meter.flush(); // so the answer includes the last few seconds
    Map<Long, Map<UsageCounter, Long>> buckets = new TreeMap<>();
    for (UsageStore.Row r : store.rows(t.id(), from, to)) {
      long start = bucketStart(r.hourStart(), unit);
      buckets.computeIfAbsent(start, k -> new EnumMap<>(UsageCounter.class)).merge(r.counter(), r.value(), Long::sum);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("tenant", t.name());
    body.put("granularity", granularity);
    body.put("from", Instant.ofEpochMilli(from).toString());
    body.put("to", Instant.ofEpochMilli(to).toString());
    body.put("buckets", buckets.entrySet().stream().map(e -> {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("start", Instant.ofEpochMilli(e.getKey()).toString());
      for (UsageCounter c : UsageCounter.values()) {
        b.put(c.wire(), e.getValue().getOrDefault(c, 0L));
      }
      return b;
    }).toList());
    Json.write(ctx, body);
  }

  private static long bucketStart(long hourStart, ChronoUnit unit) {
    OffsetDateTime t = Instant.ofEpochMilli(hourStart).atOffset(ZoneOffset.UTC);
    OffsetDateTime s =
        switch (unit) {
          case HOURS -> t.truncatedTo(ChronoUnit.HOURS);
          case DAYS -> t.truncatedTo(ChronoUnit.DAYS);
          default -> t.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
        };
    return s.toInstant().toEpochMilli();
  }

  private static long parse(String s, long def, String name) {
    if (s == null || s.isBlank()) {
      return def;
    }
    try {
      if (s.length() == 10) {
        return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
      }
      if (s.length() == 7) {
        return LocalDate.parse(s + "-01").atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
      }
      return Instant.parse(s).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw MlflowError.invalid("Invalid '" + name + "': '" + s + "' (use 2026-11-01 or 2026-11-01T00:00:00Z)");
    }
  }
}
