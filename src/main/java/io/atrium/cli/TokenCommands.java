package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/** {@code atrium token ...}: minting, listing and revoking API tokens. */
@Command(
    name = "token",
    description = {
      "Create, list and revoke API tokens.",
      "A user manages their own tokens; a tenant admin manages that tenant's service accounts' tokens; "
          + "a platform admin manages everyone's."
    },
    subcommands = {TokenCommands.Create.class, TokenCommands.ListTokens.class, TokenCommands.Revoke.class})
final class TokenCommands {
  @Mixin ClientCommand.HelpOption help;

  @Command(name = "create",
      description = {
        "Mint a token and print it on stdout, alone, this once; the details go to stderr.",
        "The server keeps only a hash: a lost token cannot be shown again; revoke it and create another.",
        "Example: atrium token create alice --name laptop --expires 30d",
        "In a script: T=$(atrium token create alice --name laptop)"
      })
  static final class Create extends ClientCommand {
    @Parameters(paramLabel = "PRINCIPAL", description = "The user or service account the token acts as.")
    String principal;

    @Option(names = "--name", paramLabel = "<name>", required = true,
        description = "What the token is for (e.g. laptop, ci); shown in 'token list'.")
    String name;

    @Option(names = "--expires", paramLabel = "<n>d", defaultValue = "90d", converter = DaysConverter.class,
        description = "Lifetime in days, e.g. 30d (default 90d, at most 3650d).")
    int days;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      body.put("expires_in_days", days);
      JsonNode t = api.post("/principals/" + AdminClient.seg(principal) + "/tokens", body).path("token");
      String token = t.path("token").asText("");
      if (token.isEmpty()) {
        throw new CliException("the server's answer held no token");
      }
      out.println(token);
      out.flush();
      StringBuilder about = new StringBuilder("Created token " + Output.text(t.path("id")) + " '"
          + Output.text(t.path("name")) + "' for " + Output.text(t.path("principal")));
      if (t.hasNonNull("tenant")) {
        about.append(" (bound to tenant '").append(Output.text(t.path("tenant"))).append("')");
      }
      about.append(", expires ").append(Output.time(t.path("expires_at"))).append('.');
      err.println(about);
      err.println("It is shown this once; store it now. Revoke it with: atrium token revoke " + Output.text(t.path("id")));
      return 0;
    }
  }

  @Command(name = "list", description = {"List a principal's tokens (never the tokens themselves).", "Example: atrium token list alice"})
  static final class ListTokens extends ClientCommand {
    @Parameters(paramLabel = "PRINCIPAL", description = "User or service account name.")
    String principal;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      JsonNode answer = api.get("/principals/" + AdminClient.seg(principal) + "/tokens");
      if (format.json()) {
        Output.json(out, answer);
        return 0;
      }
      long now = Instant.now().toEpochMilli();
      List<List<String>> rows = new ArrayList<>();
      for (JsonNode t : answer.path("tokens")) {
        rows.add(List.of(Output.text(t.path("id")), Output.text(t.path("name")), state(t, now),
            Output.text(t.path("tenant")), Output.time(t.path("created_at")), Output.time(t.path("expires_at")),
            Output.time(t.path("last_used_at"))));
      }
      Output.table(out, List.of("ID", "NAME", "STATE", "TENANT", "CREATED", "EXPIRES", "LAST USED"), rows, "No tokens.");
      return 0;
    }

    private static String state(JsonNode t, long now) {
      if (t.hasNonNull("revoked_at")) {
        return "revoked";
      }
      if (t.hasNonNull("expires_at") && t.path("expires_at").asLong() <= now) {
        return "expired";
      }
      return "active";
    }
  }

  @Command(name = "revoke", description = {"Revoke a token at once.", "Example: atrium token revoke 12   (the ID from 'token list')"})
  static final class Revoke extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "Token id, from 'atrium token list'.")
    long id;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      JsonNode answer = api.delete("/tokens/" + id);
      if (format.json()) {
        Output.json(out, answer);
        return 0;
      }
      out.println("Revoked token " + id + " '" + Output.text(answer.path("token").path("name")) + "'.");
      return 0;
    }
  }

  /** {@code <n>d}: days is the only unit, and saying so beats guessing what a bare number means. */
  static final class DaysConverter implements ITypeConverter<Integer> {
    private static final Pattern DAYS = Pattern.compile("([0-9]{1,6})d");

    @Override
    public Integer convert(String value) {
      Matcher m = DAYS.matcher(value.strip());
      if (!m.matches()) {
        throw new TypeConversionException("'" + value + "' is not a lifetime: use <n>d, e.g. 30d or 90d");
      }
      return Integer.parseInt(m.group(1));
    }
  }
}
