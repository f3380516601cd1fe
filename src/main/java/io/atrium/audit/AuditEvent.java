package io.atrium.audit;

import static java.util.Objects.requireNonNull;

import io.atrium.tenancy.TenantId;
import java.util.Optional;

/** What happened, before the log gives it a sequence number, time and hash. */
public record AuditEvent(
    String actor,
    Optional<TenantId> tenant,
    String action,
    String resource,
    Outcome outcome,
    String requestId,
    String clientAddress) {

  public enum Outcome {
    OK,
    DENIED,
    NOT_FOUND,
    INVALID,
    UNAUTHENTICATED,
    THROTTLED,
    ERROR;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public AuditEvent {
    requireNonNull(actor);
    requireNonNull(tenant);
    requireNonNull(action);
    requireNonNull(resource);
    requireNonNull(outcome);
    requireNonNull(requestId);
    requireNonNull(clientAddress);
    resource = resource.length() > 1024 ? resource.substring(0, 1024) : resource;
  }
}
