package io.atrium.tracking.search;

import io.atrium.common.MlflowError;
import java.util.Locale;

/** MLflow's ViewType: which lifecycle stages a search returns. */
public enum ViewType {
  ACTIVE_ONLY,
  DELETED_ONLY,
  ALL;

  /**
   * Parses the wire form. MLflow clients send the enum name; the proto numbers (1, 2, 3) are
   * accepted too because protobuf-JSON encoders may emit them.
   */
  public static ViewType parse(String s) {
    if (s == null || s.isBlank()) {
      return ACTIVE_ONLY;
    }
    String v = s.strip();
    switch (v) {
      case "1":
        return ACTIVE_ONLY;
      case "2":
        return DELETED_ONLY;
      case "3":
        return ALL;
      default:
        break;
    }
    for (ViewType t : values()) {
      if (t.name().equals(v.toUpperCase(Locale.ROOT))) {
        return t;
      }
    }
    throw MlflowError.invalid(
        "Invalid view_type '" + s + "'. Valid values are ACTIVE_ONLY, DELETED_ONLY, ALL");
  }

  /** The SQL predicate on {@code <alias>.lifecycle_stage}; constants only, nothing user-supplied. */
  String lifecyclePredicate(String alias) {
    String col = alias + ".lifecycle_stage";
    return switch (this) {
      case ACTIVE_ONLY -> col + " = 'active'";
      case DELETED_ONLY -> col + " = 'deleted'";
      case ALL -> col + " IN ('active', 'deleted')";
    };
  }
}
