package io.atrium.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * MLflow's page token: base64 of {@code {"offset": N}}, or for a metric's history of the position
 * after the page's last point, {@code {"after": [step, timestamp, value bits, nan]}}. Opaque to
 * clients, which only echo it.
 */
final class PageToken {
  private PageToken() {}

  /** Where a history page starts: after a point, or (a token from before keyset paging) at an offset. */
  record HistoryStart(MetricStore.HistoryCursor after, int offset) {}

  static String after(MetricStore.HistoryCursor c) {
    String json = "{\"after\": [" + c.step() + ", " + c.timestamp() + ", " + Double.doubleToLongBits(c.storedValue())
        + ", " + c.nan() + "]}";
    return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  static HistoryStart historyStart(String token) {
    if (token == null || token.isEmpty()) {
      return new HistoryStart(null, 0);
    }
    JsonNode n = parse(token);
    JsonNode a = n.get("after");
    if (a == null) {
      return new HistoryStart(null, offset(token));
    }
    if (!a.isArray() || a.size() != 4 || !a.get(0).canConvertToLong() || !a.get(1).canConvertToLong()
        || !a.get(2).canConvertToLong() || !a.get(3).isBoolean()) {
      throw MlflowError.invalid("Invalid page token, parsed value=" + n);
    }
    return new HistoryStart(new MetricStore.HistoryCursor(a.get(0).asLong(), a.get(1).asLong(),
        Double.longBitsToDouble(a.get(2).asLong()), a.get(3).asBoolean()), 0);
  }

  static int offset(String token) {
    if (token == null || token.isEmpty()) {
      return 0;
    }
    JsonNode n = parse(token);
    JsonNode off = n.get("offset");
    if (off == null || !off.canConvertToInt() || off.asInt() <= 0) {
      throw MlflowError.invalid("Invalid page token, parsed value=" + n);
    }
    return off.asInt();
  }

  private static JsonNode parse(String token) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(token.trim());
    } catch (IllegalArgumentException e) {
      throw MlflowError.invalid("Invalid page token, could not base64-decode");
    }
    try {
      JsonNode n = Json.MAPPER.readTree(raw);
      if (n == null || !n.isObject()) {
        throw MlflowError.invalid("Invalid page token, parsed value=" + new String(raw, StandardCharsets.UTF_8));
      }
      return n;
    } catch (java.io.IOException e) {
      throw MlflowError.invalid("Invalid page token, could not parse");
    }
  }

  static String of(int offset) {
    return Base64.getEncoder().encodeToString(("{\"offset\": " + offset + "}").getBytes(StandardCharsets.UTF_8));
  }
}
