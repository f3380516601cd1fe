package io.atrium.audit;

/** One audit-log row. {@code tenantId} is 0 for platform-level events (no tenant). */
public record AuditEntry(
    long seq,
    long ts,
    String actor,
    long tenantId,
    String action,
    String resource,
    String outcome,
    String requestId,
    String clientAddress,
    String prevHash,
    String entryHash) {}
