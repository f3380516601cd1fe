package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code atrium member ...}: who belongs to a tenant, and with which role. */
@Command(
    name = "member",
    description = "List, add, change and remove a tenant's members (tenant admins and owners, or a platform admin).",
    subcommands = {MemberCommands.ListMembers.class, MemberCommands.Set.class, MemberCommands.Remove.class})
final class MemberCommands {
  @Mixin ClientCommand.HelpOption help;

  static String path(String tenant) {
    return "/tenants/" + AdminClient.seg(tenant) + "/members";
  }

  @Command(name = "list", description = {"List a tenant's members and their roles.", "Example: atrium member list acme"})
  static final class ListMembers extends ClientCommand {
    @Parameters(index = "0", paramLabel = "TENANT", description = "Tenant name.")
    String tenant;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      JsonNode answer = api.get(path(tenant));
      if (format.json()) {
        Output.json(out, answer);
        return 0;
      }
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode m : answer.path("members")) {
        rows.add(List.of(Output.text(m.path("principal")), Output.text(m.path("kind")), Output.text(m.path("role")),
            Output.time(m.path("since"))));
      }
      Output.table(out, List.of("PRINCIPAL", "KIND", "ROLE", "SINCE"), rows, "No members.");
      return 0;
    }
  }

  @Command(name = "set", aliases = "add",
      description = {
        "Add a principal to a tenant, or change their role there.",
        "Only owners grant or take away owner; a tenant always keeps at least one owner.",
        "Example: atrium member set acme alice admin"
      })
  static final class Set extends ClientCommand {
    @Parameters(index = "0", paramLabel = "TENANT", description = "Tenant name.")
    String tenant;

    @Parameters(index = "1", paramLabel = "PRINCIPAL", description = "User or service account name.")
    String principal;

    @Parameters(index = "2", paramLabel = "ROLE", description = "viewer, editor, admin or owner.")
    String role;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      JsonNode answer = api.put(path(tenant) + "/" + AdminClient.seg(principal), Map.of("role", role));
      if (format.json()) {
        Output.json(out, answer);
        return 0;
      }
      JsonNode m = answer.path("member");
      out.println(Output.text(m.path("principal")) + " is now " + Output.text(m.path("role")) + " in '"
          + Output.safe(tenant) + "'.");
      return 0;
    }
  }

  @Command(name = "remove", description = {"Remove a principal from a tenant.", "Example: atrium member remove acme alice"})
  static final class Remove extends ClientCommand {
    @Parameters(index = "0", paramLabel = "TENANT", description = "Tenant name.")
    String tenant;

    @Parameters(index = "1", paramLabel = "PRINCIPAL", description = "User or service account name.")
    String principal;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      api.delete(path(tenant) + "/" + AdminClient.seg(principal));
      out.println("Removed " + Output.safe(principal) + " from '" + Output.safe(tenant) + "'.");
      return 0;
    }
  }
}
