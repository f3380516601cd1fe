package io.atrium.tracking;

import io.atrium.common.MlflowError;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** MLflow's input rules (mlflow/utils/validation.py), with its limits and messages. */
final class Validation {
  static final int MAX_METRICS_PER_BATCH = 1000;
  static final int MAX_PARAMS_TAGS_PER_BATCH = 100;
  static final int MAX_ENTITIES_PER_BATCH = 1000;
  static final int MAX_ENTITY_KEY_LENGTH = 250;
  static final int MAX_PARAM_VAL_LENGTH = 6000;
  static final int MAX_TAG_VAL_LENGTH = 8000;
  static final int MAX_EXPERIMENT_NAME_LENGTH = 500;
  static final int MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000;
  static final int MAX_RUN_NAME_LENGTH = 250;
  static final int SEARCH_MAX_RESULTS = 50000;

  private static final Pattern KEY_CHARS = Pattern.compile("^[/\\w.\\- :]*$", Pattern.UNICODE_CHARACTER_CLASS);
  static final Pattern RUN_ID = Pattern.compile("^[a-zA-Z0-9][\\w\\-]{0,255}$");

  private Validation() {}

  static MlflowError missing(String name) {
    return MlflowError.invalid(
        "Missing value for required parameter '" + name + "'. See the API docs for more information about request parameters.");
  }

  static String required(String value, String name) {
    if (value == null || value.isEmpty()) {
      throw missing(name);
    }
    return value;
  }

  static <T> T required(T value, String name) {
    if (value == null) {
      throw missing(name);
    }
    return value;
  }

  static void maxLength(String value, int max, String name) {
    if (value != null && value.length() > max) {
      throw MlflowError.invalid("'" + name + "' exceeds the maximum length of " + max + " characters");
    }
  }

  /** A metric, param or tag key: word characters, '/', '.', '-', ' ', ':' and no path tricks. */
  static void key(String key, String path) {
    required(key, path);
    maxLength(key, MAX_ENTITY_KEY_LENGTH, path);
    if (!KEY_CHARS.matcher(key).matches()) {
      throw MlflowError.invalid("Invalid value \"" + key + "\" for parameter '" + path + "' supplied: Names may only "
          + "contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).");
    }
    String normalized = normalize(key);
    if (!normalized.equals(key) || normalized.equals(".") || key.startsWith("..") || key.startsWith("/")) {
      throw MlflowError.invalid("Invalid value \"" + key + "\" for parameter '" + path + "' supplied: Names may be "
          + "treated as files in certain cases, and must not resolve to other names when treated as such. This name "
          + "would resolve to '" + normalized + "'");
    }
  }

  /** posixpath.normpath for the characters a key may hold. */
  private static String normalize(String key) {
    if (key.isEmpty()) {
      return ".";
    }
    String n = Path.of(key).normalize().toString();
    if (key.startsWith("/") && !n.startsWith("/")) {
      n = "/" + n;
    }
    return n.isEmpty() ? "." : n;
  }

  static String truncate(String value, int max) {
    return value != null && value.length() > max ? value.substring(0, max) : value;
  }

  static void timestamp(Long ts, String path, String key, double value) {
    if (ts == null) {
      throw missing(path);
    }
    if (ts < 0) {
      throw MlflowError.invalid("Invalid value " + ts + " for parameter '" + path + "' supplied: metric '" + key
          + "' (value=" + value + "). Timestamp must be a nonnegative long (64-bit integer) ");
    }
  }

  static long experimentId(String raw) {
    try {
      return Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      throw MlflowError.invalid("Invalid experiment ID '" + raw + "'. Experiment ID must be a valid integer.");
    }
  }

  static void maxResults(long n, long cap) {
    if (n < 1) {
      throw MlflowError.invalid("Invalid value " + n + " for parameter 'max_results' supplied. It must be a positive integer");
    }
    if (n > cap) {
      throw MlflowError.invalid("Invalid value " + n + " for parameter 'max_results' supplied. It must be at most " + cap);
    }
  }
}
