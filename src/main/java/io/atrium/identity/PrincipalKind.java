package io.atrium.identity;

import java.util.Locale;

public enum PrincipalKind {
  USER,
  SERVICE;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static PrincipalKind fromDb(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
