package io.atrium.authz;

import io.atrium.common.MlflowError;
import java.util.Locale;

/** A principal's role in one tenant, weakest first; each role holds every right of those before it. */
public enum Role {
  VIEWER,
  EDITOR,
  ADMIN,
  OWNER;

  public boolean atLeast(Role other) {
    return compareTo(other) >= 0;
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Role parse(String s) {
    if (s != null) {
      for (Role r : values()) {
        if (r.wire().equals(s.trim().toLowerCase(Locale.ROOT))) {
          return r;
        }
      }
    }
    throw MlflowError.invalid("Invalid role '" + s + "': one of owner, admin, editor, viewer");
  }
}
