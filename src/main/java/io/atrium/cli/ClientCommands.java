package io.atrium.cli;

import picocli.CommandLine;

/** Registers the client-side commands (tenant, user, token, member, audit, limits, usage, share, gc, ...). */
final class ClientCommands {
  private ClientCommands() {}

  static void register(CommandLine cli) {
    // Each command talks to a running server's /api/atrium/v1 API; see ClientCommand.
    cli.addSubcommand(new TenantCommands());
    cli.addSubcommand(new PrincipalCommands.User());
    cli.addSubcommand(new PrincipalCommands.ServiceAccount());
    cli.addSubcommand(new MemberCommands());
    cli.addSubcommand(new TokenCommands());
    cli.addSubcommand(new AuditCommands());
    cli.addSubcommand(new LimitsCommands());
    cli.addSubcommand(new UsageCommand());
    cli.addSubcommand(new ShareCommands());
    cli.addSubcommand(new GcCommand());
    cli.addSubcommand(new WhoamiCommand());
    cli.getCommandSpec().usageMessage()
        .footerHeading("%nConnecting:%n")
        .footer(
            "  Every command but serve talks to a running server at --url or ATRIUM_URL",
            "  (default " + ClientConnection.DEFAULT_URL + "), authenticated with ATRIUM_TOKEN, else",
            "  <data-dir>/admin.token, which serve writes on first start (data dir:",
            "  --data-dir, else ATRIUM_DATA_DIR, else ./" + ClientConnection.DEFAULT_DATA_DIR + ").",
            "  Run 'atrium <command> --help' for each command's options.");
  }
}
