package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code atrium whoami}: which principal the token acts as; the quickest check that a token works. */
@Command(name = "whoami", description = {"Show who the token acts as, and the tenants it belongs to.", "Example: atrium whoami --url https://atrium.example.com"})
final class WhoamiCommand extends ClientCommand {
  @Mixin FormatOption format;

  @Override
  int run(AdminClient api, PrintWriter out, PrintWriter err) {
    JsonNode answer = api.get("/whoami");
    if (format.json()) {
      Output.json(out, answer);
      return 0;
    }
    JsonNode p = answer.path("principal");
    List<String> tenants = new ArrayList<>();
    p.path("tenants").forEach(t -> tenants.add(Output.text(t)));
    Output.details(out, List.of(
        List.of("Name", Output.text(p.path("name"))),
        List.of("Kind", Output.text(p.path("kind"))),
        List.of("Platform admin", p.path("platform_admin").asBoolean() ? "yes" : "no"),
        List.of("Home tenant", Output.text(p.path("home_tenant"))),
        List.of("Tenants", tenants.isEmpty() ? "-" : String.join(", ", tenants)),
        List.of("Server", api.connection().baseUrl()),
        List.of("Token from", api.connection().tokenSource())));
    return 0;
  }
}
