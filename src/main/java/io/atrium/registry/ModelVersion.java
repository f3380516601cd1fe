package io.atrium.registry;

import java.util.List;
import java.util.Map;

/**
 * One version of a registered model. {@code source} is what the client registered (a validated,
 * same-tenant URI); {@code storageLocation} is where its files are, resolved at creation.
 */
public record ModelVersion(
    String name,
    int version,
    long creationTime,
    long lastUpdatedTime,
    String description,
    String userId,
    String currentStage,
    String source,
    String storageLocation,
    String runId,
    String runLink,
    String status,
    String statusMessage,
    String modelId,
    Map<String, String> tags,
    List<String> aliases) {

  public static final String READY = "READY";

  /** The same version as a grantee tenant sees it: under the shared name, owner's ids hidden. */
  ModelVersion asShared(String sharedName, String sharedLocation, List<String> visibleAliases) {
    return new ModelVersion(sharedName, version, creationTime, lastUpdatedTime, description, null, currentStage,
        sharedLocation, sharedLocation, null, null, status, statusMessage, null, tags, visibleAliases);
  }
}
