package io.atrium.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bin/atrium}: {@code serve} runs the server; every other command is a client of a running
 * server's admin API, authenticated with {@code ATRIUM_TOKEN} or {@code <data-dir>/admin.token}.
 */
@Command(
    name = "atrium",
    mixinStandardHelpOptions = true,
    version = "atrium 0.1.0",
    description = "Atrium: one shared, multi-tenant MLflow-compatible platform.",
    subcommands = {CommandLine.HelpCommand.class})
public final class AtriumCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new AtriumCli());
    cli.addSubcommand("serve", ServeCommand.commandLine());
    ClientCommands.register(cli);
    return cli;
  }

  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** Runs a command with the given output streams; for tests. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = commandLine();
    cli.setOut(out);
    cli.setErr(err);
    return cli.execute(args);
  }
}
