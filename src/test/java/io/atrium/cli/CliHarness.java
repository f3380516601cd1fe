package io.atrium.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.http.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * Runs CLI commands in-process, the environment injected through {@link
 * ClientConnection#withEnvironment} so the real ATRIUM_* of whoever runs the tests never leak in.
 */
final class CliHarness {
  private CliHarness() {}

  /** One command's outcome. */
  record Result(int code, String out, String err) {
    JsonNode json() {
      try {
        return Json.MAPPER.readTree(out);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + out, e);
      }
    }
  }

  static Result withEnv(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = ClientConnection.withEnvironment(env,
        () -> AtriumCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args));
    return new Result(code, out.toString(), err.toString());
  }

  /** Runs a command as the holder of {@code token} (ATRIUM_TOKEN) against the server at {@code url}. */
  static Result as(String url, String token, String... args) {
    return withEnv(Map.of("ATRIUM_URL", url, "ATRIUM_TOKEN", token), args);
  }

  static Result ok(Result r) {
    assertThat(r.code()).as("exit status; stdout: %s; stderr: %s", r.out(), r.err()).isZero();
    return r;
  }
}
