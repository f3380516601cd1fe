package io.atrium.cli;

import picocli.CommandLine;

/** Registers the client-side commands (tenant, user, token, member, audit, ...). */
final class ClientCommands {
  private ClientCommands() {}

  static void register(CommandLine cli) {
    // Filled in by the admin CLI: each command talks to a running server's /api/atrium/v1 API.
  }
}
