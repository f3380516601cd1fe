package io.atrium.cli;

import io.atrium.Atrium;
import io.atrium.config.AtriumConfig;
import io.atrium.config.ConfigException;
import io.atrium.config.ConfigKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code atrium serve}. Its options are generated from {@link ConfigKeys}, so the flags, the
 * environment variables, the defaults and {@code --help} can never drift apart.
 */
final class ServeCommand {
  private ServeCommand() {}

  static CommandLine commandLine() {
    ServeCall call = new ServeCall();
    CommandSpec spec = CommandSpec.wrapWithoutInspection(call).name("serve").mixinStandardHelpOptions(true);
    call.spec = spec;
    spec.usageMessage()
        .description(
            "Start the Atrium server. Every option can also be set by its ATRIUM_* environment variable; "
                + "flags win. An unknown ATRIUM_* variable is an error.");
    for (ConfigKeys.Key k : ConfigKeys.SERVER_KEYS) {
      spec.addOption(
          OptionSpec.builder(k.flag())
              .paramLabel("<" + k.name() + ">")
              .type(String.class)
              .description(
                  k.description() + " (env " + k.env() + ", default: "
                      + (k.defaultValue().isEmpty() ? "none" : k.defaultValue()) + ")")
              .build());
    }
    return new CommandLine(spec);
  }

  /** The command's body: collects the options given and starts the server. */
  private static final class ServeCall implements java.util.concurrent.Callable<Integer> {
    CommandSpec spec;

    @Override
    public Integer call() {
      Map<String, String> flags = new LinkedHashMap<>();
      for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
        if (o.longestName().startsWith("--") && o.getValue() != null) {
          flags.put(o.longestName().substring(2), o.getValue());
        }
      }
      return serve(flags, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
  }

  static int serve(Map<String, String> flags, PrintWriter out, PrintWriter err) {
    AtriumConfig config;
    try {
      config = ConfigKeys.resolve(flags, System.getenv());
      Files.createDirectories(config.dataDir());
    } catch (ConfigException e) {
      err.println("atrium: " + e.getMessage());
      err.flush();
      return 2;
    } catch (IOException e) {
      err.println("atrium: cannot create data directory: " + e.getMessage());
      err.flush();
      return 2;
    }
    Atrium atrium;
    try {
      atrium = Atrium.start(config);
    } catch (ConfigException e) {
      err.println("atrium: " + e.getMessage());
      err.flush();
      return 2;
    }
    Path tokenFile = config.dataDir().resolve("admin.token");
    atrium.bootstrapToken().ifPresent(token -> {
      writeSecret(tokenFile, token);
      out.println("Created platform admin '" + Atrium.ADMIN_NAME + "'. Its token is shown this once:");
      out.println();
      out.println("    " + token);
      out.println();
      out.println("It is also in " + tokenFile + " (mode 600). Keep it secret.");
    });
    out.println("Atrium listening on http://" + config.host() + ":" + atrium.port()
        + "  (database: " + (config.isPostgres() ? "PostgreSQL" : "H2 " + config.dataDir().resolve("db"))
        + ", " + config.databasePoolSize() + " connections)");
    out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      atrium.close();
      stopped.countDown();
    }, "atrium-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** Writes a file readable by its owner only, created with those permissions (never briefly wider). */
  static void writeSecret(Path file, String content) {
    try {
      Files.deleteIfExists(file);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, content + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
