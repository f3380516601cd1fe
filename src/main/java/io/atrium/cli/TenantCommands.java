package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code atrium tenant ...}: creating, listing and changing the status of tenants. */
@Command(
    name = "tenant",
    description = "Create, list, suspend, reactivate and delete tenants (platform admins; members may list and get).",
    subcommands = {
      TenantCommands.Create.class,
      TenantCommands.ListTenants.class,
      TenantCommands.Get.class,
      TenantCommands.Suspend.class,
      TenantCommands.Reactivate.class,
      TenantCommands.Delete.class
    })
final class TenantCommands {
  @Mixin ClientCommand.HelpOption help;

  private static final String BASE = "/tenants";

  @Command(name = "create",
      description = {"Create a tenant.", "Example: atrium tenant create acme --display-name \"Acme Corp\""})
  static final class Create extends ClientCommand {
    @Parameters(paramLabel = "NAME", description = "Tenant name: lower-case letters, digits and '-'; it appears in URLs (/t/NAME/...).")
    String name;

    @Option(names = "--display-name", paramLabel = "<text>", description = "A human-readable name.")
    String displayName;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      if (displayName != null) {
        body.put("display_name", displayName);
      }
      JsonNode answer = api.post(BASE, body);
      if (format.json()) {
        Output.json(out, answer);
      } else {
        out.println("Created tenant '" + Output.text(answer.path("tenant").path("name")) + "'.");
      }
      return 0;
    }
  }

  @Command(name = "list", description = {"List the tenants you can see (all of them, for a platform admin).", "Example: atrium tenant list --format json"})
  static final class ListTenants extends ClientCommand {
    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      JsonNode answer = api.get(BASE);
      if (format.json()) {
        Output.json(out, answer);
        return 0;
      }
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode t : answer.path("tenants")) {
        rows.add(List.of(Output.text(t.path("name")), Output.text(t.path("status")),
            Output.text(t.path("display_name")), Output.time(t.path("created_at"))));
      }
      Output.table(out, List.of("NAME", "STATUS", "DISPLAY NAME", "CREATED"), rows, "No tenants.");
      return 0;
    }
  }

  @Command(name = "get", description = {"Show one tenant.", "Example: atrium tenant get acme"})
  static final class Get extends ClientCommand {
    @Parameters(paramLabel = "NAME", description = "Tenant name.")
    String name;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      JsonNode answer = api.get(BASE + "/" + AdminClient.seg(name));
      if (format.json()) {
        Output.json(out, answer);
      } else {
        printTenant(out, answer.path("tenant"));
      }
      return 0;
    }
  }

  @Command(name = "suspend",
      description = {"Suspend a tenant: every request into it is refused until it is reactivated; its data is kept.",
        "Example: atrium tenant suspend acme"})
  static final class Suspend extends StatusChange {
    Suspend() {
      super("POST", "/suspend");
    }
  }

  @Command(name = "reactivate", description = {"Reactivate a suspended tenant.", "Example: atrium tenant reactivate acme"})
  static final class Reactivate extends StatusChange {
    Reactivate() {
      super("POST", "/reactivate");
    }
  }

  @Command(name = "delete",
      description = {"Delete a tenant: it disappears for its members at once and cannot be reactivated "
          + "(its data stays in the database). Use suspend for a pause.", "Example: atrium tenant delete acme"})
  static final class Delete extends StatusChange {
    Delete() {
      super("DELETE", "");
    }
  }

  /** suspend, reactivate and delete: one request, and the tenant's new status. */
  abstract static class StatusChange extends ClientCommand {
    private final String method;
    private final String suffix;

    @Parameters(paramLabel = "NAME", description = "Tenant name.")
    String name;

    @Mixin FormatOption format;

    StatusChange(String method, String suffix) {
      this.method = method;
      this.suffix = suffix;
    }

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      String path = BASE + "/" + AdminClient.seg(name) + suffix;
      JsonNode answer = method.equals("DELETE") ? api.delete(path) : api.post(path, Map.of());
      if (format.json()) {
        Output.json(out, answer);
      } else {
        JsonNode t = answer.path("tenant");
        out.println("Tenant '" + Output.text(t.path("name")) + "' is now " + Output.text(t.path("status")) + ".");
      }
      return 0;
    }
  }

  static void printTenant(PrintWriter out, JsonNode t) {
    Output.details(out, List.of(
        List.of("Name", Output.text(t.path("name"))),
        List.of("Display name", Output.text(t.path("display_name"))),
        List.of("Status", Output.text(t.path("status"))),
        List.of("Created", Output.time(t.path("created_at"))),
        List.of("Updated", Output.time(t.path("updated_at")))));
  }
}
