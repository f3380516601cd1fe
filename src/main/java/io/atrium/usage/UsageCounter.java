package io.atrium.usage;

import java.util.Locale;

/** What is metered per tenant and hour. Compute seconds join when jobs exist. */
public enum UsageCounter {
  REQUESTS_READ,
  REQUESTS_WRITE,
  REQUESTS_SEARCH,
  REQUESTS_ADMIN,
  REQUESTS_THROTTLED,
  RUNS_CREATED,
  METRIC_POINTS,
  PARAMS,
  TAGS,
  ARTIFACT_BYTES_IN,
  ARTIFACT_BYTES_OUT;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static UsageCounter fromDb(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
