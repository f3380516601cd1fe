package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code atrium audit ...}: reading and verifying the hash-chained audit log. */
@Command(
    name = "audit",
    description = "Read and verify the audit log.",
    subcommands = {AuditCommands.ListEntries.class, AuditCommands.Verify.class})
final class AuditCommands {
  @Mixin ClientCommand.HelpOption help;

  @Command(name = "list",
      description = {
        "List audit entries, newest first: one tenant's (its admins and owners), or the whole platform's "
            + "(platform admins) when no tenant is given.",
        "Example: atrium audit list acme --limit 20"
      })
  static final class ListEntries extends ClientCommand {
    @Parameters(arity = "0..1", paramLabel = "TENANT", description = "Tenant name; omit for the whole platform.")
    String tenant;

    @Option(names = "--limit", paramLabel = "<n>", defaultValue = "100", description = "At most this many entries (1-1000, default 100).")
    int limit;

    @Option(names = "--before", paramLabel = "<seq>", description = "Only entries older than this sequence number (for paging).")
    Long before;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      String path = (tenant == null ? "" : "/tenants/" + AdminClient.seg(tenant)) + "/audit?limit=" + limit
          + (before == null ? "" : "&before=" + before);
      JsonNode answer = api.get(path);
      if (format.json()) {
        Output.json(out, answer);
        return 0;
      }
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode e : answer.path("entries")) {
        rows.add(List.of(Output.text(e.path("seq")), Output.time(e.path("time")), Output.text(e.path("actor")),
            Output.text(e.path("tenant")), Output.text(e.path("action")), Output.text(e.path("outcome")),
            Output.text(e.path("resource"))));
      }
      Output.table(out, List.of("SEQ", "TIME", "ACTOR", "TENANT", "ACTION", "OUTCOME", "RESOURCE"), rows, "No entries.");
      if (answer.hasNonNull("next_before")) {
        err.println("More entries: add --before " + answer.path("next_before").asLong());
      }
      return 0;
    }
  }

  @Command(name = "verify",
      description = {
        "Check the whole audit chain (platform admins). Exit status 0 when it is intact, 1 when an entry was "
            + "changed, removed or inserted; the first bad sequence number is printed.",
        "Example: atrium audit verify"
      })
  static final class Verify extends ClientCommand {
    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      JsonNode answer = api.get("/audit/verify");
      boolean intact = answer.path("intact").asBoolean(false);
      if (format.json()) {
        Output.json(out, answer);
      } else if (intact) {
        out.println("Audit log intact: " + answer.path("entries_checked").asLong() + " entries checked.");
      } else {
        out.println("Audit log BROKEN at seq " + Output.text(answer.path("first_bad_seq")) + ": "
            + Output.text(answer.path("detail")) + " (" + answer.path("entries_checked").asLong() + " entries checked).");
      }
      return intact ? 0 : 1;
    }
  }
}
