package io.atrium.isolation.support;

import io.atrium.http.Json;
import io.atrium.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** One HTTP request with full control of its headers and raw body, for what TestServer's helpers cannot send. */
public final class Call {
  private final HttpRequest.Builder b;
  private final String method;
  private HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();

  private Call(TestServer s, String method, String path) {
    this.method = method;
    this.b = HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(60));
  }

  public static Call of(TestServer s, String method, String path) {
    return new Call(s, method, path);
  }

  public static Call get(TestServer s, String path) {
    return new Call(s, "GET", path);
  }

  public static Call post(TestServer s, String path) {
    return new Call(s, "POST", path);
  }

  public Call bearer(String token) {
    return header("Authorization", "Bearer " + token);
  }

  public Call basic(String user, String password) {
    return header("Authorization",
        "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
  }

  public Call header(String name, String value) {
    b.header(name, value);
    return this;
  }

  public Call requestId(String id) {
    return header("X-Request-Id", id);
  }

  public Call json(Object value) {
    try {
      return raw(value instanceof String s ? s : Json.MAPPER.writeValueAsString(value), "application/json");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Call raw(String text, String contentType) {
    return raw(text.getBytes(StandardCharsets.UTF_8), contentType);
  }

  public Call raw(byte[] bytes, String contentType) {
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    body = HttpRequest.BodyPublishers.ofByteArray(bytes);
    return this;
  }

  /** A body sent chunked, without Content-Length, so only the server's own reading can bound it. */
  public Call chunked(byte[] bytes, String contentType) {
    b.header("Content-Type", contentType);
    body = HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes));
    return this;
  }

  public TestServer.Response send() {
    return TestServer.send(b.method(method, body).build());
  }
}
