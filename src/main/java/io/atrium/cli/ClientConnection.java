package io.atrium.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where a client command connects and with which token.
 *
 * <p>The URL comes from {@code --url}, else {@code ATRIUM_URL}, else {@link #DEFAULT_URL}. The token
 * comes from {@code ATRIUM_TOKEN}, else {@code <data-dir>/admin.token} (data dir from {@code
 * --data-dir}, else {@code ATRIUM_DATA_DIR}, else {@code ./atrium-data}), and deliberately never from a
 * flag: command lines end up in shell history and in every user's {@code ps}.
 *
 * @param tokenSource where the token came from, for messages (never the token itself)
 */
record ClientConnection(String baseUrl, String token, String tokenSource) {
  static final String DEFAULT_URL = "http://127.0.0.1:5000";
  static final String DEFAULT_DATA_DIR = "atrium-data";

  /**
   * The environment a test runs a command in. A thread-local rather than a static so parallel tests
   * cannot see each other's, and so tests never depend on the real ATRIUM_* of whoever runs them.
   */
  private static final ThreadLocal<Map<String, String>> ENVIRONMENT_OVERRIDE = new ThreadLocal<>();

  /** The process environment, or the map a test installed with {@link #withEnvironment}. */
  static Map<String, String> environment() {
    Map<String, String> override = ENVIRONMENT_OVERRIDE.get();
    return override != null ? override : System.getenv();
  }

  /** Runs {@code body} with {@code env} in place of the process environment (on this thread). */
  static <T> T withEnvironment(Map<String, String> env, Supplier<T> body) {
    Map<String, String> previous = ENVIRONMENT_OVERRIDE.get();
    ENVIRONMENT_OVERRIDE.set(Map.copyOf(env));
    try {
      return body.get();
    } finally {
      if (previous == null) {
        ENVIRONMENT_OVERRIDE.remove();
      } else {
        ENVIRONMENT_OVERRIDE.set(previous);
      }
    }
  }

  static ClientConnection resolve(String urlFlag, Path dataDirFlag, Map<String, String> env) {
    String url = firstNonBlank(urlFlag, env.get("ATRIUM_URL"), DEFAULT_URL);
    String baseUrl = checkUrl(url);
    String envToken = env.get("ATRIUM_TOKEN");
    if (envToken != null && !envToken.isBlank()) {
      return new ClientConnection(baseUrl, envToken.strip(), "ATRIUM_TOKEN");
    }
    Path dataDir = dataDirFlag != null ? dataDirFlag : Path.of(firstNonBlank(env.get("ATRIUM_DATA_DIR"), DEFAULT_DATA_DIR));
    Path file = dataDir.resolve("admin.token").toAbsolutePath().normalize();
    String token;
    try {
      token = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      throw new CliException(
          "no credentials: ATRIUM_TOKEN is not set and " + file + " does not exist",
          "set ATRIUM_TOKEN to an API token, or point --data-dir (or ATRIUM_DATA_DIR) at the server's data directory");
    } catch (AccessDeniedException e) {
      throw new CliException("cannot read " + file + ": permission denied",
          "run as the user that runs the server, or set ATRIUM_TOKEN");
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage());
    }
    if (token.isEmpty()) {
      throw new CliException(file + " is empty", "set ATRIUM_TOKEN to an API token instead");
    }
    return new ClientConnection(baseUrl, token, file.toString());
  }

  /** Never shows the token: records print every component, and this one may end up in a log. */
  @Override
  public String toString() {
    return "ClientConnection[" + baseUrl + ", token from " + tokenSource + "]";
  }

  private static String checkUrl(String url) {
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw new CliException("invalid server URL '" + url + "': " + e.getReason());
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")) || uri.getHost() == null) {
      throw new CliException("invalid server URL '" + url + "': expected http://host:port or https://host:port");
    }
    if (uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null) {
      // A user:password@ part would be sent nowhere useful and printed in messages; refuse it.
      throw new CliException("invalid server URL '" + url + "': no user info, query or fragment allowed");
    }
    String s = uri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.strip();
      }
    }
    throw new IllegalArgumentException("no value");
  }
}
