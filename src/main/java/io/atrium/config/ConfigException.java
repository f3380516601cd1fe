package io.atrium.config;

/** A configuration the server refuses to start with; the message names the key and the fix. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
