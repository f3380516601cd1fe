package io.atrium.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code atrium gc}: removes the artifacts of deleted objects, in every tenant. */
@Command(name = "gc",
    description = {
      "Garbage-collect artifacts (platform admins): in every tenant, remove the stored artifacts of runs and other "
          + "objects deleted more than the retention period ago, and free their storage quota. Runs deleted more "
          + "recently keep their artifacts, so restoring them loses nothing.",
      "Example: atrium gc --retention-days 7"
    })
final class GcCommand extends ClientCommand {
  @Option(names = "--retention-days", paramLabel = "<n>",
      description = "Keep the artifacts of objects deleted fewer than this many days ago (0-36500; default: the "
          + "server's configured retention). 0 removes everything already deleted.")
  Integer retentionDays;

  @Mixin FormatOption format;

  @Override
  int run(AdminClient api, PrintWriter out, PrintWriter err) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (retentionDays != null) {
      body.put("retention_days", retentionDays);
    }
    JsonNode answer = api.post("/gc", body);
    if (format.json()) {
      Output.json(out, answer);
      return 0;
    }
    long dirs = answer.path("directories_removed").asLong();
    long tenants = answer.path("tenants").asLong();
    String scope = " (" + tenants + (tenants == 1 ? " tenant" : " tenants") + " checked, retention "
        + Output.text(answer.path("retention_days")) + " days).";
    if (dirs == 0) {
      out.println("Nothing to remove" + scope);
    } else {
      long files = answer.path("files_removed").asLong();
      out.println("Removed " + dirs + (dirs == 1 ? " artifact directory, " : " artifact directories, ") + files
          + (files == 1 ? " file, " : " files, ") + "freeing " + LimitsCommands.bytes(answer.path("bytes_freed").asLong())
          + scope);
    }
    return 0;
  }
}
