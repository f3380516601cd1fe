package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/** {@code atrium limits ...}: a tenant's rate, concurrency and storage limits. */
@Command(
    name = "limits",
    description = "Show and set a tenant's limits: request rate, burst, concurrency, run creations and artifact "
        + "storage (tenant admins read them; platform admins set them).",
    subcommands = {LimitsCommands.Get.class, LimitsCommands.Set.class})
final class LimitsCommands {
  @Mixin ClientCommand.HelpOption help;

  static String path(String tenant) {
    return "/tenants/" + AdminClient.seg(tenant) + "/limits";
  }

  @Command(name = "get",
      description = {"Show the limits in force for a tenant: its own overrides, else the platform defaults.",
        "Example: atrium limits get acme --format json"})
  static final class Get extends ClientCommand {
    @Parameters(paramLabel = "TENANT", description = "Tenant name.")
    String tenant;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      JsonNode answer = api.get(path(tenant));
      if (format.json()) {
        Output.json(out, answer);
      } else {
        printLimits(out, answer.path("limits"));
      }
      return 0;
    }
  }

  @Command(name = "set",
      description = {
        "Change some of a tenant's limits (platform admins); the ones not given keep their current value.",
        "Rate, burst and concurrency apply per server replica.",
        "Example: atrium limits set acme --rps 50 --burst 200 --storage 10GiB"
      })
  static final class Set extends ClientCommand {
    @Parameters(paramLabel = "TENANT", description = "Tenant name.")
    String tenant;

    @Option(names = "--rps", paramLabel = "<n>",
        description = "Sustained requests per second; fractions allowed (0.5 is one request every two seconds).")
    Double rps;

    @Option(names = "--burst", paramLabel = "<n>", description = "Requests that may arrive at once after a quiet period.")
    Integer burst;

    @Option(names = "--concurrency", paramLabel = "<n>", description = "Requests of this tenant in flight at once.")
    Integer concurrency;

    @Option(names = "--runs-per-minute", paramLabel = "<n>", description = "Run creations per minute.")
    Double runsPerMinute;

    @Option(names = {"--storage", "--storage-bytes"}, paramLabel = "<size>", converter = SizeConverter.class,
        description = "Artifact storage quota: bytes (10737418240) or a size with a unit (10GiB, 500MB; "
            + "KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of 1024).")
    Long storageBytes;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      Map<String, Object> body = new LinkedHashMap<>();
      if (rps != null) {
        body.put("rps", rps);
      }
      if (burst != null) {
        body.put("burst", burst);
      }
      if (concurrency != null) {
        body.put("concurrency", concurrency);
      }
      if (runsPerMinute != null) {
        body.put("runs_per_minute", runsPerMinute);
      }
      if (storageBytes != null) {
        body.put("storage_bytes", storageBytes);
      }
      if (body.isEmpty()) {
        throw new ParameterException(spec.commandLine(),
            "nothing to set: give at least one of --rps, --burst, --concurrency, --runs-per-minute, --storage");
      }
      JsonNode answer = api.put(path(tenant), body);
      if (format.json()) {
        Output.json(out, answer);
      } else {
        out.println("Limits of '" + Output.safe(tenant) + "' are now:");
        printLimits(out, answer.path("limits"));
      }
      return 0;
    }
  }

  static void printLimits(PrintWriter out, JsonNode l) {
    JsonNode storage = l.path("storage_bytes");
    Output.details(out, List.of(
        List.of("Requests per second", Output.text(l.path("rps"))),
        List.of("Burst", Output.text(l.path("burst"))),
        List.of("Concurrency", Output.text(l.path("concurrency"))),
        List.of("Runs per minute", Output.text(l.path("runs_per_minute"))),
        List.of("Storage", storage.canConvertToLong() ? bytes(storage.asLong()) : "unlimited")));
  }

  /** {@code 10.0 GiB (10737418240 bytes)}; plain bytes below 1 KiB. */
  static String bytes(long n) {
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (n < 1024) {
      return n + (n == 1 ? " byte" : " bytes");
    }
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s (%d bytes)", v, units[u], n);
  }

  /** Bytes, or a number with a unit: KB/MB/GB/TB (powers of 1000) and KiB/MiB/GiB/TiB (of 1024). */
  static final class SizeConverter implements ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([a-zA-Z]*)");
    private static final Map<String, Long> UNITS = Map.ofEntries(
        Map.entry("", 1L), Map.entry("b", 1L),
        Map.entry("kb", 1_000L), Map.entry("mb", 1_000_000L), Map.entry("gb", 1_000_000_000L),
        Map.entry("tb", 1_000_000_000_000L),
        Map.entry("kib", 1L << 10), Map.entry("mib", 1L << 20), Map.entry("gib", 1L << 30), Map.entry("tib", 1L << 40));

    @Override
    public Long convert(String value) {
      Matcher m = SIZE.matcher(value.strip());
      Long unit = m.matches() ? UNITS.get(m.group(2).toLowerCase(Locale.ROOT)) : null;
      if (unit == null) {
        throw new TypeConversionException("'" + value + "' is not a size: use bytes or a unit, e.g. 500MB or 10GiB");
      }
      BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
      try {
        return bytes.setScale(0, RoundingMode.CEILING).longValueExact();
      } catch (ArithmeticException e) {
        throw new TypeConversionException("'" + value + "' is too large");
      }
    }
  }
}
