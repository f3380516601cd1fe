package io.atrium.cli;

import java.util.Optional;

/**
 * A client command's failure, already worded for the user: printed as {@code atrium: <message>} on
 * stderr, with an optional second line that says what to check, and exit status 1.
 */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String hint;

  CliException(String message) {
    this(message, null);
  }

  CliException(String message, String hint) {
    // No stack trace: these are answers for a person, never bugs to debug.
    super(message, null, false, false);
    this.hint = hint;
  }

  Optional<String> hint() {
    return Optional.ofNullable(hint);
  }
}
