package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code atrium user ...} and {@code atrium service-account ...}: creating principals. */
final class PrincipalCommands {
  private PrincipalCommands() {}

  @Command(
      name = "user",
      description = "Create users. Give them a token afterwards with 'atrium token create'.",
      subcommands = {CreateUser.class})
  static final class User {
    @Mixin ClientCommand.HelpOption help;
  }

  @Command(
      name = "service-account",
      description = "Create service accounts: principals for automation that live in exactly one tenant.",
      subcommands = {CreateServiceAccount.class})
  static final class ServiceAccount {
    @Mixin ClientCommand.HelpOption help;
  }

  @Command(name = "create",
      description = {
        "Create a user, optionally a member of one tenant.",
        "Without --tenant (or with --platform-admin) only a platform admin may do this; a tenant admin may create "
            + "users in their own tenant.",
        "Example: atrium user create alice --tenant acme --role editor"
      })
  static final class CreateUser extends ClientCommand {
    @Parameters(paramLabel = "NAME", description = "User name: letters, digits and . _ @ + - (e.g. an e-mail address).")
    String name;

    @Option(names = "--tenant", paramLabel = "<tenant>", description = "Make the user a member of this tenant.")
    String tenant;

    @Option(names = "--role", paramLabel = "<role>",
        description = "Their role in --tenant: viewer (default), editor, admin or owner.")
    String role;

    @Option(names = "--platform-admin", description = "Make the user a platform admin (operator of the whole server).")
    boolean platformAdmin;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      if (role != null && tenant == null) {
        throw new ParameterException(spec.commandLine(), "--role needs --tenant: a role is always a role in one tenant");
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      if (tenant != null) {
        body.put("tenant", tenant);
      }
      if (role != null) {
        body.put("role", role);
      }
      if (platformAdmin) {
        body.put("platform_admin", true);
      }
      JsonNode answer = api.post("/users", body);
      if (format.json()) {
        Output.json(out, answer);
        return 0;
      }
      JsonNode p = answer.path("principal");
      StringBuilder line = new StringBuilder("Created user '" + Output.text(p.path("name")) + "'");
      if (tenant != null) {
        line.append(", ").append(role == null ? "viewer" : role.strip().toLowerCase(Locale.ROOT))
            .append(" in '").append(Output.safe(tenant)).append("'");
      }
      if (p.path("platform_admin").asBoolean()) {
        line.append(", platform admin");
      }
      out.println(line.append('.'));
      err.println("Give them a token: atrium token create " + Output.text(p.path("name")) + " --name <name>");
      return 0;
    }
  }

  @Command(name = "create",
      description = {
        "Create a service account in a tenant (tenant admins and owners, or a platform admin).",
        "Its tokens are bound to that tenant.",
        "Example: atrium service-account create ci-bot --tenant acme --role editor"
      })
  static final class CreateServiceAccount extends ClientCommand {
    @Parameters(paramLabel = "NAME", description = "Service account name: letters, digits and . _ @ + -.")
    String name;

    @Option(names = "--tenant", paramLabel = "<tenant>", required = true, description = "The tenant it lives in.")
    String tenant;

    @Option(names = "--role", paramLabel = "<role>", description = "Its role there: viewer, editor (default), admin or owner.")
    String role;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      if (role != null) {
        body.put("role", role);
      }
      JsonNode answer = api.post("/tenants/" + AdminClient.seg(tenant) + "/service-accounts", body);
      if (format.json()) {
        Output.json(out, answer);
        return 0;
      }
      JsonNode p = answer.path("principal");
      out.println("Created service account '" + Output.text(p.path("name")) + "' in '" + Output.safe(tenant) + "'.");
      err.println("Give it a token: atrium token create " + Output.text(p.path("name")) + " --name <name>");
      return 0;
    }
  }
}
