package io.atrium.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.atrium.http.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The admin API ({@code /api/atrium/v1}) as the CLI sees it: JSON in, JSON out, and every failure
 * turned into a {@link CliException} worded for a person.
 */
final class AdminClient {
  static final String API = "/api/atrium/v1";

  // Redirects are never followed (the default, stated here on purpose): following one would send
  // the bearer token to wherever the redirect points.
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private final ClientConnection connection;

  AdminClient(ClientConnection connection) {
    this.connection = requireNonNull(connection);
  }

  ClientConnection connection() {
    return connection;
  }

  JsonNode get(String path) {
    return send("GET", path, null);
  }

  JsonNode post(String path, Map<String, ?> body) {
    return send("POST", path, body);
  }

  JsonNode put(String path, Map<String, ?> body) {
    return send("PUT", path, body);
  }

  JsonNode delete(String path) {
    return send("DELETE", path, null);
  }

  /** One path segment, percent-encoded (a name can never smuggle a {@code /} or {@code ?} into the path). */
  static String seg(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonNode send(String method, String path, Map<String, ?> body) {
    String url = connection.baseUrl() + API + path;
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(REQUEST_TIMEOUT)
            .header("Authorization", "Bearer " + connection.token())
            .header("Accept", "application/json");
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(toJson(body)));
    }
    HttpResponse<String> response;
    try {
      response = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (HttpConnectTimeoutException e) {
      throw unreachable("connection timed out");
    } catch (HttpTimeoutException e) {
      throw new CliException("no answer from " + connection.baseUrl() + " within " + REQUEST_TIMEOUT.toSeconds() + "s");
    } catch (ConnectException e) {
      throw unreachable("connection refused");
    } catch (IOException e) {
      throw unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
    return answer(response);
  }

  private CliException unreachable(String why) {
    return new CliException(
        "cannot connect to " + connection.baseUrl() + " (" + why + ")",
        "is the server running (bin/atrium serve)? Set its address with --url or ATRIUM_URL");
  }

  private JsonNode answer(HttpResponse<String> response) {
    int status = response.statusCode();
    String body = response.body() == null ? "" : response.body();
    JsonNode json = null;
    if (!body.isBlank()) {
      try {
        json = Json.MAPPER.readTree(body);
      } catch (JsonProcessingException e) {
        json = null;
      }
    }
    if (status / 100 == 2) {
      if (body.isBlank()) {
        return JsonNodeFactory.instance.objectNode();
      }
      if (json == null) {
        throw new CliException("unexpected answer from " + connection.baseUrl() + " (HTTP " + status + ", not JSON): "
            + Output.clip(body), "is --url (or ATRIUM_URL) the address of an Atrium server?");
      }
      return json;
    }
    if (json != null && json.hasNonNull("error_code")) {
      String hint = status == 401 ? "the token came from " + connection.tokenSource() + "; it may be wrong, expired or revoked" : null;
      throw new CliException(json.path("error_code").asText() + ": " + json.path("message").asText(), hint);
    }
    throw new CliException("HTTP " + status + " from " + connection.baseUrl() + (body.isBlank() ? "" : ": " + Output.clip(body)),
        status == 404 ? "is --url (or ATRIUM_URL) the address of an Atrium server?" : null);
  }

  private static String toJson(Map<String, ?> body) {
    try {
      return Json.MAPPER.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode request body", e);
    }
  }
}
