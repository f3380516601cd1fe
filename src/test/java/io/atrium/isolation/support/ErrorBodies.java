package io.atrium.isolation.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.testing.TestServer;
import java.util.ArrayList;
import java.util.List;

/** What every error answer must look like: MLflow's JSON, and nothing of the server's insides. */
public final class ErrorBodies {
  private static final List<String> FORBIDDEN =
      List.of("Exception", "at io.", "SQL", "\tat ", "java.", "org.h2", "org.postgresql", "jdbi", "Caused by");

  private ErrorBodies() {}

  /** Asserts the status, the error code, the {error_code, message} shape and a clean message; returns the message. */
  public static String assertError(TestServer.Response r, int status, String errorCode) {
    assertThat(r.status()).as("status of %s", r.body()).isEqualTo(status);
    assertClean(r);
    assertThat(r.json().path("error_code").asText()).as("error_code of %s", r.body()).isEqualTo(errorCode);
    return r.json().path("message").asText();
  }

  /** Any error answer: JSON object with exactly error_code and message, no stack trace, no SQL. */
  public static void assertClean(TestServer.Response r) {
    assertThat(r.status()).as("an error status: %s", r.body()).isGreaterThanOrEqualTo(400);
    assertThat(r.status()).as("never a 5xx for a client's mistake: %s", r.body()).isLessThan(500);
    assertThat(r.headers().firstValue("Content-Type").orElse(""))
        .as("content type of %s", r.body()).startsWith("application/json");
    JsonNode n = r.json();
    assertThat(n.isObject()).as("object: %s", r.body()).isTrue();
    List<String> fields = new ArrayList<>();
    n.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).as("fields of %s", r.body()).containsExactlyInAnyOrder("error_code", "message");
    assertThat(n.path("error_code").isTextual()).isTrue();
    assertThat(n.path("message").isTextual()).isTrue();
    assertThat(n.path("message").asText()).as("message").isNotBlank();
    for (String f : FORBIDDEN) {
      assertThat(r.body()).as("error body leaks internals").doesNotContain(f);
    }
  }
}
