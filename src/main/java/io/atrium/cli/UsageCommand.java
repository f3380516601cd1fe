package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.usage.UsageCounter;
import java.io.PrintWriter;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/** {@code atrium usage TENANT}: a tenant's metered usage, per hour, day or month. */
@Command(name = "usage",
    description = {
      "Show a tenant's metered usage (its admins, or a platform admin): requests by kind, throttled requests, runs "
          + "created, metric points, params, tags and artifact bytes, per hour, day or month. Times are UTC; the "
          + "window defaults to the current month.",
      "Example: atrium usage acme --month 2026-11 --format csv > acme-2026-11.csv",
      "Example: atrium usage acme --from 2026-11-01 --to 2026-11-08 --granularity hour"
    })
final class UsageCommand extends ClientCommand {
  @Parameters(paramLabel = "TENANT", description = "Tenant name.")
  String tenant;

  @Option(names = "--month", paramLabel = "<yyyy-mm>", description = "One calendar month (UTC), e.g. 2026-11.")
  String month;

  @Option(names = "--from", paramLabel = "<date>",
      description = "Start of the window, inclusive: 2026-11-01 or 2026-11-01T12:00:00Z.")
  String from;

  @Option(names = "--to", paramLabel = "<date>",
      description = "End of the window, exclusive: 2026-12-01 or 2026-12-01T00:00:00Z (default: end of the current month).")
  String to;

  @Option(names = "--granularity", paramLabel = "hour|day|month", defaultValue = "day",
      description = "Bucket size: hour, day (default) or month.")
  String granularity;

  @Option(names = "--format", paramLabel = "table|csv|json", defaultValue = "table", converter = UsageFormatConverter.class,
      description = "Output format: table (default; only the counters that are not zero, and a total), csv (every "
          + "counter, one row per bucket) or json (the server's answer).")
  UsageFormat format;

  enum UsageFormat {
    TABLE,
    CSV,
    JSON
  }

  static final class UsageFormatConverter implements ITypeConverter<UsageFormat> {
    @Override
    public UsageFormat convert(String value) {
      return switch (value.toLowerCase(Locale.ROOT)) {
        case "table" -> UsageFormat.TABLE;
        case "csv" -> UsageFormat.CSV;
        case "json" -> UsageFormat.JSON;
        default -> throw new TypeConversionException("'" + value + "' is not a format: use table, csv or json");
      };
    }
  }

  @Override
  int run(AdminClient api, PrintWriter out, PrintWriter err) {
    String windowFrom = from;
    String windowTo = to;
    if (month != null) {
      if (from != null || to != null) {
        throw new ParameterException(spec.commandLine(), "--month and --from/--to are alternatives: give one or the other");
      }
      YearMonth m;
      try {
        m = YearMonth.parse(month.strip());
      } catch (DateTimeParseException e) {
        throw new ParameterException(spec.commandLine(), "'" + month + "' is not a month: use yyyy-mm, e.g. 2026-11");
      }
      windowFrom = m.atDay(1).toString();
      windowTo = m.plusMonths(1).atDay(1).toString();
    }
    StringBuilder path = new StringBuilder("/tenants/" + AdminClient.seg(tenant) + "/usage");
    path.append("?granularity=").append(AdminClient.seg(granularity));
    if (windowFrom != null) {
      path.append("&from=").append(AdminClient.seg(windowFrom.strip()));
    }
    if (windowTo != null) {
      path.append("&to=").append(AdminClient.seg(windowTo.strip()));
    }
    JsonNode answer = api.get(path.toString());
    switch (format) {
      case JSON -> Output.json(out, answer);
      case CSV -> csv(out, answer);
      case TABLE -> table(out, answer);
    }
    return 0;
  }

  /** Every counter this CLI knows, in order, then any newer ones the server sent. */
  static List<String> counters(JsonNode answer) {
    Set<String> names = new LinkedHashSet<>();
    for (UsageCounter c : UsageCounter.values()) {
      names.add(c.wire());
    }
    for (JsonNode b : answer.path("buckets")) {
      for (Iterator<String> it = b.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!f.equals("start")) {
          names.add(f);
        }
      }
    }
    return new ArrayList<>(names);
  }

  private static void csv(PrintWriter out, JsonNode answer) {
    List<String> counters = counters(answer);
    List<String> header = new ArrayList<>();
    header.add("start");
    header.addAll(counters);
    out.println(String.join(",", header.stream().map(UsageCommand::csvCell).toList()));
    for (JsonNode b : answer.path("buckets")) {
      List<String> row = new ArrayList<>();
      row.add(csvCell(b.path("start").asText()));
      for (String c : counters) {
        row.add(Long.toString(b.path(c).asLong(0)));
      }
      out.println(String.join(",", row));
    }
  }

  private static String csvCell(String s) {
    if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }

  private static void table(PrintWriter out, JsonNode answer) {
    String granularity = answer.path("granularity").asText("day");
    out.println("Usage of '" + Output.text(answer.path("tenant")) + "' by " + Output.safe(granularity) + ", "
        + Output.text(answer.path("from")) + " to " + Output.text(answer.path("to")) + " (UTC):");
    Map<String, Long> totals = new LinkedHashMap<>();
    for (String c : counters(answer)) {
      long sum = 0;
      for (JsonNode b : answer.path("buckets")) {
        sum += b.path(c).asLong(0);
      }
      if (sum != 0) {
        totals.put(c, sum);
      }
    }
    List<String> headers = new ArrayList<>();
    headers.add("START");
    totals.keySet().forEach(c -> headers.add(Output.safe(c.toUpperCase(Locale.ROOT))));
    List<List<String>> rows = new ArrayList<>();
    if (!totals.isEmpty()) {
      for (JsonNode b : answer.path("buckets")) {
        List<String> row = new ArrayList<>();
        row.add(shortStart(b.path("start").asText(), granularity));
        totals.keySet().forEach(c -> row.add(Long.toString(b.path(c).asLong(0))));
        rows.add(row);
      }
      List<String> total = new ArrayList<>();
      total.add("TOTAL");
      totals.values().forEach(v -> total.add(Long.toString(v)));
      rows.add(total);
    }
    Output.table(out, headers, rows, "No usage.");
  }

  /** {@code 2026-11-03} for days, {@code 2026-11} for months, {@code 2026-11-03T14:00Z} for hours. */
  private static String shortStart(String instant, String granularity) {
    String s = Output.safe(instant);
    if (!s.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d)?Z")) {
      return s;
    }
    return switch (granularity) {
      case "month" -> s.substring(0, 7);
      case "day" -> s.substring(0, 10);
      default -> s.substring(0, 16) + "Z";
    };
  }
}
