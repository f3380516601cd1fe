package io.atrium.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** MLflow's page token: base64 of {@code {"offset": N}}. Opaque to clients, which only echo it. */
final class PageToken {
  private PageToken() {}

  static int offset(String token) {
    if (token == null || token.isEmpty()) {
      return 0;
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(token.trim());
    } catch (IllegalArgumentException e) {
      throw MlflowError.invalid("Invalid page token, could not base64-decode");
    }
    try {
      JsonNode n = Json.MAPPER.readTree(raw);
      JsonNode off = n == null ? null : n.get("offset");
      if (off == null || !off.canConvertToInt() || off.asInt() <= 0) {
        throw MlflowError.invalid("Invalid page token, parsed value=" + new String(raw, StandardCharsets.UTF_8));
      }
      return off.asInt();
    } catch (java.io.IOException e) {
      throw MlflowError.invalid("Invalid page token, could not parse");
    }
  }

  static String of(int offset) {
    return Base64.getEncoder().encodeToString(("{\"offset\": " + offset + "}").getBytes(StandardCharsets.UTF_8));
  }
}
