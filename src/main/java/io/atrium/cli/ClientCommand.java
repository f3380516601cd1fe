package io.atrium.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The shape every client command shares: connection options, a resolved {@link AdminClient}, and
 * failures printed as {@code atrium: <message>} with exit status 1 (picocli keeps 2 for usage errors).
 */
@Command(
    footerHeading = "%nConnection:%n",
    footer = {
      "  Server: --url, else ATRIUM_URL, else " + ClientConnection.DEFAULT_URL + ".",
      "  Token:  ATRIUM_TOKEN, else <data-dir>/admin.token, the data dir being",
      "          --data-dir, else ATRIUM_DATA_DIR, else ./" + ClientConnection.DEFAULT_DATA_DIR + ".",
      "          There is no --token flag: command lines leak into shell history",
      "          and ps."
    })
abstract class ClientCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ConnectionOptions connectionOptions;

  @Mixin HelpOption help;

  @Override
  public final Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      ClientConnection connection =
          ClientConnection.resolve(connectionOptions.url, connectionOptions.dataDir, ClientConnection.environment());
      return run(new AdminClient(connection), out, err);
    } catch (CliException e) {
      out.flush();
      err.println("atrium: " + e.getMessage());
      e.hint().ifPresent(h -> err.println("atrium: " + h));
      return 1;
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The command's body; returns its exit status. */
  abstract int run(AdminClient api, PrintWriter out, PrintWriter err);

  /** {@code --url} and {@code --data-dir}, on every client command. */
  static final class ConnectionOptions {
    @Option(names = "--url", paramLabel = "<url>",
        description = "Server URL; overrides ATRIUM_URL (see Connection below).")
    String url;

    @Option(names = "--data-dir", paramLabel = "<dir>",
        description = "The server's data directory, whose admin.token is used when ATRIUM_TOKEN "
            + "is not set; overrides ATRIUM_DATA_DIR.")
    Path dataDir;
  }

  /**
   * {@code -h/--help} alone: picocli's standard mixin would add a {@code -V} that subcommands have no
   * version for.
   */
  static final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
  }

  /** {@code --format}, on commands that print data. */
  static final class FormatOption {
    @Option(names = "--format", paramLabel = "table|json", defaultValue = "table", converter = FormatConverter.class,
        description = "Output format: table (default, for people) or json (the server's answer, for scripts).")
    Format format;

    boolean json() {
      return format == Format.JSON;
    }
  }

  enum Format {
    TABLE,
    JSON
  }

  /** Lower-case names on the command line, and a message that lists them. */
  static final class FormatConverter implements ITypeConverter<Format> {
    @Override
    public Format convert(String value) {
      return switch (value.toLowerCase(Locale.ROOT)) {
        case "table" -> Format.TABLE;
        case "json" -> Format.JSON;
        default -> throw new TypeConversionException("'" + value + "' is not a format: use table or json");
      };
    }
  }
}
