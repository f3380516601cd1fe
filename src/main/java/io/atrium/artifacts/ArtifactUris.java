package io.atrium.artifacts;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.atrium.tenancy.TenantId;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.regex.Pattern;

/**
 * Which artifact URIs a tenant may hand to Atrium (a model version's {@code source}, an
 * experiment's artifact location): only ones that point into the tenant's own Atrium-managed
 * storage. Everything else is refused with 400, so no API can be talked into reading a server file
 * ({@code file:///etc/passwd}, CVE-2023-1177 / CVE-2024-2928), fetching a URL (SSRF through
 * {@code http://}), reading a bucket with the server's credentials ({@code s3://}), or another
 * tenant's objects.
 *
 * <p>Accepted:
 * <ul>
 *   <li>{@code mlflow-artifacts:/<path>} (no host): a path in the caller's tenant's artifact space.
 *       The space is per tenant, so such a URI cannot name another tenant's files;
 *   <li>{@code runs:/<run_id>[/<path>]} of a run that exists in the same tenant;
 *   <li>{@code models:/<name>/<version|stage>} and {@code models:/<name>@<alias>} (resolved in the
 *       tenant by the registry).
 * </ul>
 */
public final class ArtifactUris {
  /** What an accepted URI points at. {@code path} is relative to the tenant root (mlflow-artifacts) or the run root (runs). */
  public record OwnedUri(Kind kind, String runId, String modelRef, ArtifactPath path) {}

  public enum Kind {
    MLFLOW_ARTIFACTS,
    RUNS,
    MODELS
  }

  private static final String MLFLOW_ARTIFACTS = "mlflow-artifacts:";
  private static final Pattern RUN_ID = Pattern.compile("^[0-9a-f]{32}$");

  private final BiPredicate<TenantId, String> runExists;

  /** {@code runExists(tenant, runId)}: whether the run exists in that tenant. */
  public ArtifactUris(BiPredicate<TenantId, String> runExists) {
    this.runExists = requireNonNull(runExists);
  }

  /** Accepts {@code uri} if it points into {@code tenant}'s managed storage; 400 otherwise. */
  public OwnedUri requireOwnedUri(TenantId tenant, String uri) {
    requireNonNull(tenant);
    if (uri == null || uri.isBlank()) {
      throw refused("is empty");
    }
    String lower = uri.toLowerCase(Locale.ROOT);
    if (lower.startsWith(MLFLOW_ARTIFACTS)) {
      return new OwnedUri(Kind.MLFLOW_ARTIFACTS, null, null, mlflowArtifactsPath(uri));
    }
    if (lower.startsWith("runs:")) {
      String rest = afterSchemeNoHost(uri, "runs:".length());
      String decoded = ArtifactPath.decodeOnce(rest);
      int slash = decoded.indexOf('/');
      String runId = slash < 0 ? decoded : decoded.substring(0, slash);
      if (!RUN_ID.matcher(runId).matches()) {
        throw refused("does not name a run");
      }
      ArtifactPath path = ArtifactPath.parse(slash < 0 ? "" : decoded.substring(slash + 1));
      if (!runExists.test(tenant, runId)) {
        // Same answer as for a malformed id: whether another tenant has this run is not revealed.
        throw refused("names no run of this tenant");
      }
      return new OwnedUri(Kind.RUNS, runId, null, path);
    }
    if (lower.startsWith("models:")) {
      String rest = afterSchemeNoHost(uri, "models:".length());
      String decoded = ArtifactPath.decodeOnce(rest);
      ArtifactPath ref = ArtifactPath.parse(decoded); // no traversal, backslash, NUL, ?, # in a model reference
      if (ref.isRoot()) {
        throw refused("does not name a model");
      }
      return new OwnedUri(Kind.MODELS, null, ref.value(), ArtifactPath.ROOT);
    }
    throw refused("is not an mlflow-artifacts:, runs: or models: URI of this tenant");
  }

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
