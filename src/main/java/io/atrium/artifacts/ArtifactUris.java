package io.atrium.artifacts;

import io.atrium.common.MlflowError;
import java.util.Locale;
import java.util.Optional;

/**
 * Reading the {@code mlflow-artifacts:} URIs Atrium itself writes (experiment, run and logged-model
 * artifact locations) back into tenant-relative artifact paths. Which URIs a user may hand to
 * Atrium (a model version's {@code source}) is decided by {@code registry.SourceUris}.
 */
public final class ArtifactUris {
  private static final String MLFLOW_ARTIFACTS = "mlflow-artifacts:";

  /**
   * The tenant-relative path of an {@code mlflow-artifacts:/...} URI as Atrium itself writes them
   * (experiment and run artifact locations); empty for anything else. Does not throw.
   */
  public static Optional<ArtifactPath> managedPath(String uri) {
    try {
      return uri != null && uri.toLowerCase(Locale.ROOT).startsWith(MLFLOW_ARTIFACTS)
          ? Optional.of(mlflowArtifactsPath(uri))
          : Optional.empty();
    } catch (MlflowError e) {
      return Optional.empty();
    }
  }

  /** The path of an {@code mlflow-artifacts:} URI; refuses a host part (it would send the client elsewhere). */
  public static ArtifactPath mlflowArtifactsPath(String uri) {
    String rest = afterSchemeNoHost(uri, MLFLOW_ARTIFACTS.length());
    return ArtifactPath.fromRawUrlPath(rest);
  }

  /** What follows "scheme:" with one leading "/" removed; "//host/..." is refused, "///path" allowed. */
  private static String afterSchemeNoHost(String uri, int schemeLength) {
    String rest = uri.substring(schemeLength);
    if (rest.contains("?") || rest.contains("#")) {
      throw refused("has a query or fragment");
    }
    if (rest.startsWith("//")) {
      int end = rest.indexOf('/', 2);
      String host = end < 0 ? rest.substring(2) : rest.substring(2, end);
      if (!host.isEmpty()) {
        throw refused("names a host");
      }
      rest = end < 0 ? "" : rest.substring(end);
    }
    return rest.startsWith("/") ? rest.substring(1) : rest;
  }

  private static MlflowError refused(String why) {
    return MlflowError.invalid("Invalid artifact URI: the URI " + why);
  }
}
