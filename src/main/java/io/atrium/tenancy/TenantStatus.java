package io.atrium.tenancy;

import java.util.Locale;

public enum TenantStatus {
  ACTIVE,
  SUSPENDED,
  DELETED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static TenantStatus fromDb(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
