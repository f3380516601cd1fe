package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code atrium share ...}: letting other tenants read a registered model. */
@Command(
    name = "share",
    description = "Share registered models with other tenants, list and revoke shares. The receiving tenant reads "
        + "the model, read-only, as shared.<owner>.<model>.",
    subcommands = {ShareCommands.Grant.class, ShareCommands.ListShares.class, ShareCommands.Revoke.class})
final class ShareCommands {
  @Mixin ClientCommand.HelpOption help;

  static String path(String owner) {
    return "/tenants/" + AdminClient.seg(owner) + "/shares";
  }

  /** {@code OWNER/MODEL}, split at the first '/' (tenant names never hold one). */
  record ModelRef(String owner, String model) {
    static ModelRef parse(CommandSpec spec, String value) {
      int slash = value.indexOf('/');
      if (slash <= 0 || slash == value.length() - 1) {
        throw new ParameterException(spec.commandLine(),
            "'" + value + "' is not OWNER/MODEL: name the owning tenant and the registered model, e.g. acme/churn");
      }
      return new ModelRef(value.substring(0, slash), value.substring(slash + 1));
    }

    @Override
    public String toString() {
      return owner + "/" + model;
    }
  }

  @Command(name = "grant",
      description = {
        "Let another tenant read a registered model (admins of the owning tenant): all its versions, present and "
            + "future, or only the ones given. Granting again replaces the versions of the existing share.",
        "Example: atrium share grant acme/churn --to beta --versions 1,2"
      })
  static final class Grant extends ClientCommand {
    @Parameters(paramLabel = "OWNER/MODEL", description = "The owning tenant and the registered model, e.g. acme/churn.")
    String model;

    @Option(names = "--to", required = true, paramLabel = "<tenant>", description = "The tenant that may read the model.")
    String toTenant;

    @Option(names = "--versions", paramLabel = "<n>[,<n>...]", split = ",",
        description = "Share only these model versions (default: all of them, including later ones).")
    List<Integer> versions;

    @Mixin FormatOption format;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      ModelRef ref = ModelRef.parse(spec, model);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("model", ref.model());
      body.put("to_tenant", toTenant);
      if (versions != null && !versions.isEmpty()) {
        body.put("versions", versions);
      }
      JsonNode answer = api.post(path(ref.owner()), body);
      if (format.json()) {
        Output.json(out, answer);
        return 0;
      }
      JsonNode s = answer.path("share");
      out.println("Shared " + Output.safe(ref.toString()) + " (" + versionsText(s.path("versions")) + ") with '"
          + Output.text(s.path("to_tenant")) + "', who sees it as " + Output.text(s.path("shared_name")) + "; share id "
          + Output.text(s.path("share_id")) + ".");
      return 0;
    }
  }

  @Command(name = "list",
      description = {"List the shares a tenant has given and received (any member).", "Example: atrium share list acme"})
  static final class ListShares extends ClientCommand {
    @Parameters(paramLabel = "TENANT", description = "Tenant name.")
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
      addRows(rows, "given", answer.path("shares"));
      addRows(rows, "received", answer.path("received"));
      Output.table(out, List.of("ID", "DIRECTION", "MODEL", "TO", "VERSIONS", "SHARED AS", "BY", "CREATED"), rows,
          "No shares.");
      return 0;
    }

    private static void addRows(List<List<String>> rows, String direction, JsonNode shares) {
      for (JsonNode s : shares) {
        rows.add(List.of(Output.text(s.path("share_id")), direction,
            Output.text(s.path("owner")) + "/" + Output.text(s.path("model")), Output.text(s.path("to_tenant")),
            s.path("versions").isArray() ? versionList(s.path("versions")) : "all", Output.text(s.path("shared_name")),
            Output.text(s.path("created_by")), Output.time(s.path("created_at"))));
      }
    }
  }

  @Command(name = "revoke",
      description = {
        "Stop sharing a model with a tenant (admins of the owning tenant): name the model and the tenant, or the "
            + "share's id (see 'atrium share list').",
        "Example: atrium share revoke acme/churn --to beta",
        "Example: atrium share revoke acme --id 3f2a9c..."
      })
  static final class Revoke extends ClientCommand {
    @Parameters(paramLabel = "OWNER/MODEL|OWNER",
        description = "The owning tenant and the model (with --to), or the owning tenant alone (with --id).")
    String target;

    @Option(names = "--to", paramLabel = "<tenant>", description = "The tenant the model is shared with.")
    String toTenant;

    @Option(names = "--id", paramLabel = "<share-id>", description = "The share's id, instead of OWNER/MODEL --to.")
    String shareId;

    @Override
    int run(AdminClient api, PrintWriter out, PrintWriter err) {
      if (shareId != null) {
        if (toTenant != null || target.contains("/")) {
          throw new ParameterException(spec.commandLine(),
              "--id names the share on its own: give OWNER --id SHARE_ID, or OWNER/MODEL --to TENANT");
        }
        api.delete(path(target) + "/" + AdminClient.seg(shareId));
        out.println("Revoked share " + Output.safe(shareId) + " of '" + Output.safe(target) + "'.");
        return 0;
      }
      if (toTenant == null) {
        throw new ParameterException(spec.commandLine(),
            "name the share: OWNER/MODEL --to TENANT, or OWNER --id SHARE_ID");
      }
      ModelRef ref = ModelRef.parse(spec, target);
      // The server also revokes by (model, to_tenant) given in a DELETE body, but AdminClient's DELETE
      // sends none (some proxies drop such bodies anyway): look the share's id up, then revoke by id.
      String id = null;
      for (JsonNode s : api.get(path(ref.owner())).path("shares")) {
        if (s.path("model").asText().equals(ref.model()) && s.path("to_tenant").asText().equals(toTenant)) {
          id = s.path("share_id").asText();
        }
      }
      if (id == null) {
        throw new CliException(Output.safe(ref.toString()) + " is not shared with '" + Output.safe(toTenant) + "'",
            "see 'atrium share list " + Output.safe(ref.owner()) + "'");
      }
      api.delete(path(ref.owner()) + "/" + AdminClient.seg(id));
      out.println("Revoked share " + Output.safe(id) + ": " + Output.safe(ref.toString()) + " is no longer shared with '"
          + Output.safe(toTenant) + "'.");
      return 0;
    }
  }

  /** {@code all versions}, or {@code versions 1,2}. */
  static String versionsText(JsonNode v) {
    if (v.isArray()) {
      return (v.size() == 1 ? "version " : "versions ") + versionList(v);
    }
    return "all versions";
  }

  static String versionList(JsonNode v) {
    List<String> list = new ArrayList<>();
    v.forEach(x -> list.add(Output.text(x)));
    return String.join(",", list);
  }
}
