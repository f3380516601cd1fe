package io.atrium.loggedmodels;

import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.common.MlflowError;
import io.atrium.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Input rules shared by logged models and the registry (MLflow's mlflow/utils/validation.py), and
 * MLflow's opaque offset page token.
 */
public final class Inputs {
  public static final int MAX_KEY_LENGTH = 250;
  private static final Pattern KEY_CHARS = Pattern.compile("^[/\\w.\\- :]*$", Pattern.UNICODE_CHARACTER_CLASS);

  private Inputs() {}

  public static MlflowError missing(String name) {
    return MlflowError.invalid(
        "Missing value for required parameter '" + name + "'. See the API docs for more information about request parameters.");
  }

  public static String required(String value, String name) {
    if (value == null || value.isEmpty()) {
      throw missing(name);
    }
    return value;
  }

  public static void maxLength(String value, int max, String name) {
    if (value != null && value.length() > max) {
      throw MlflowError.invalid("'" + name + "' exceeds the maximum length of " + max + " characters");
    }
  }

  /** A tag or param key: MLflow's key characters, no path tricks ({@code ..}, leading {@code /}). */
  public static void key(String key, String name) {
    required(key, name);
    maxLength(key, MAX_KEY_LENGTH, name);
    if (!KEY_CHARS.matcher(key).matches() || key.startsWith("/") || key.equals(".") || key.equals("..")
        || key.startsWith("../") || key.contains("/../") || key.endsWith("/..") || key.contains("//")) {
      throw MlflowError.invalid("Invalid value \"" + key + "\" for parameter '" + name + "' supplied: Names may only "
          + "contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).");
    }
  }

  public static long maxResults(Long given, long dflt, long cap) {
    long n = given == null ? dflt : given;
    if (n < 1) {
      throw MlflowError.invalid("Invalid value " + n + " for parameter 'max_results' supplied. It must be a positive integer");
    }
    if (n > cap) {
      throw MlflowError.invalid("Invalid value " + n + " for parameter 'max_results' supplied. It must be at most " + cap);
    }
    return n;
  }

  public static long experimentId(String raw) {
    try {
      return Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      throw MlflowError.invalid("Invalid experiment ID '" + raw + "'. Experiment ID must be a valid integer.");
    }
  }

  /** The offset in MLflow's page token, base64 of {@code {"offset": N}}; 0 for no token. */
  public static int pageOffset(String token) {
    if (token == null || token.isEmpty()) {
      return 0;
    }
    try {
      JsonNode n = Json.MAPPER.readTree(Base64.getDecoder().decode(token.trim()));
      JsonNode off = n == null ? null : n.get("offset");
      if (off == null || !off.canConvertToInt() || off.asInt() <= 0) {
        throw MlflowError.invalid("Invalid page token");
      }
      return off.asInt();
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw MlflowError.invalid("Invalid page token, could not parse");
    }
  }

  public static String pageToken(int offset) {
    return Base64.getEncoder().encodeToString(("{\"offset\": " + offset + "}").getBytes(StandardCharsets.UTF_8));
  }
}
