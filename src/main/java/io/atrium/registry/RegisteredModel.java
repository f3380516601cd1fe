package io.atrium.registry;

import java.util.List;
import java.util.Map;

/** A registered model with its tags, aliases (alias → version) and latest version per stage. */
public record RegisteredModel(
    String name,
    long creationTime,
    long lastUpdatedTime,
    String description,
    String userId,
    Map<String, String> tags,
    Map<String, Integer> aliases,
    List<ModelVersion> latestVersions) {}
