package io.atrium.registry;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.atrium.loggedmodels.LoggedModel;
import io.atrium.loggedmodels.LoggedModelService;
import io.atrium.tenancy.TenantId;
import io.atrium.tracking.RunInfo;
import io.atrium.tracking.TrackingStore;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;

/**
 * Which model sources a model version may name: only URIs into the same tenant's Atrium-managed
 * storage. MLflow's own server accepted {@code file://}, absolute paths and other hosts here, which
 * made registered models a file-inclusion primitive (CVE-2023-1177, CVE-2023-2780, CVE-2023-6909,
 * CVE-2024-1560). Accepted:
 *
 * <ul>
 *   <li>{@code runs:/<run_id>/<path>}: a run of this tenant;
 *   <li>{@code models:/<model_id>}: a logged model of this tenant; {@code models:/<name>/<version>}
 *       and {@code models:/<name>@<alias>}: a version already registered in this tenant;
 *   <li>{@code mlflow-artifacts:/<experiment_id>/<path>}: inside an experiment of this tenant.
 * </ul>
 *
 * Everything else (other schemes, hosts, {@code ..} or {@code .} segments, backslashes, NUL and
 * control characters, percent-encoding of any kind, {@code ?} and {@code #}) is refused with
 * INVALID_PARAMETER_VALUE before anything is looked up. This is the one place that decides which
 * user-supplied URIs Atrium accepts.
 */
public final class SourceUris {
  private static final Pattern RUN_ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$");
  private static final Pattern DIGITS = Pattern.compile("^[0-9]{1,18}$");

  /** Where a source's files are, and the run and logged model it came from when known. */
  public record Resolved(String storageLocation, String runId, String modelId) {}

  private final TrackingStore tracking;
  private final LoggedModelService loggedModels;
  private final RegistryStore registry;

  public SourceUris(TrackingStore tracking, LoggedModelService loggedModels, RegistryStore registry) {
    this.tracking = requireNonNull(tracking);
    this.loggedModels = requireNonNull(loggedModels);
    this.registry = requireNonNull(registry);
  }

  /** Refuses a URI whose text alone is unsafe; returns its scheme. */
  public static String checkSyntax(String uri, String field) {
    if (uri.length() > 2000) {
      throw refuse(field, uri, "it is longer than 2000 characters");
    }
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\\' || c == '%' || c == '?' || c == '#') {
        throw refuse(field, uri, "it contains a control character, '\\', '%', '?' or '#'");
      }
    }
    int colon = uri.indexOf(':');
    String scheme = colon <= 0 ? "" : uri.substring(0, colon);
    if (!scheme.equals("runs") && !scheme.equals("models") && !scheme.equals("mlflow-artifacts")) {
      throw refuse(field, uri, "only runs:/, models:/ and mlflow-artifacts:/ URIs of this tenant are accepted");
    }
    String rest = uri.substring(colon + 1);
    if (!rest.startsWith("/") || rest.startsWith("//")) {
      throw refuse(field, uri, "it names a host or is not of the form " + scheme + ":/<path>");
    }
    for (String seg : rest.substring(1).split("/", -1)) {
      if (seg.equals("..") || seg.equals(".")) {
        throw refuse(field, uri, "it contains a '.' or '..' path segment");
      }
    }
    return scheme;
  }

  /** Checks that {@code uri} points into {@code tenant}'s own storage and says where its files are. */
  public Resolved resolve(Handle h, TenantId tenant, String uri, String field) {
    String scheme = checkSyntax(uri, field);
    String path = uri.substring(scheme.length() + 2);
    MlflowError unknown = refuse(field, uri, "it does not name an object of this tenant");
    switch (scheme) {
      case "runs" -> {
        int slash = path.indexOf('/');
        String runId = slash < 0 ? path : path.substring(0, slash);
        String sub = slash < 0 ? "" : path.substring(slash + 1);
        if (!RUN_ID.matcher(runId).matches()) {
          throw unknown;
        }
        RunInfo run = tracking.runInfo(h, tenant, runId).orElseThrow(() -> unknown);
        String loc = sub.isEmpty() ? run.artifactUri() : run.artifactUri() + "/" + trimSlashes(sub);
        return new Resolved(loc, runId, null);
      }
      case "models" -> {
        if (!path.contains("/") && !path.contains("@")) {
          LoggedModel m = loggedModels.activeModel(h, tenant, path).orElseThrow(() -> unknown);
          return new Resolved(m.artifactLocation(), m.sourceRunId(), m.modelId());
        }
        Optional<ModelVersion> v;
        if (path.contains("@")) {
          int at = path.lastIndexOf('@');
          String name = path.substring(0, at);
          Integer version = registry.aliases(h, tenant, name).get(path.substring(at + 1));
          v = version == null ? Optional.empty() : registry.version(h, tenant, name, version);
        } else {
          String[] parts = path.split("/");
          if (parts.length != 2 || !DIGITS.matcher(parts[1]).matches()) {
            throw unknown;
          }
          v = registry.version(h, tenant, parts[0], Integer.parseInt(parts[1]));
        }
        ModelVersion mv = v.orElseThrow(() -> unknown);
        return new Resolved(mv.storageLocation(), mv.runId(), mv.modelId());
      }
      default -> {
        String first = path.contains("/") ? path.substring(0, path.indexOf('/')) : path;
        if (!DIGITS.matcher(first).matches() || tracking.experiment(h, tenant, Long.parseLong(first)).isEmpty()) {
          throw unknown;
        }
        return new Resolved("mlflow-artifacts:/" + trimSlashes(path), null, null);
      }
    }
  }

  private static String trimSlashes(String s) {
    String out = s;
    while (out.endsWith("/")) {
      out = out.substring(0, out.length() - 1);
    }
    return out;
  }

  private static MlflowError refuse(String field, String uri, String why) {
    String shown = uri.length() > 200 ? uri.substring(0, 200) + "..." : uri;
    shown = shown.replaceAll("[^\\x20-\\x7e]", "?");
    return MlflowError.invalid("Invalid value '" + shown + "' for parameter '" + field + "': " + why);
  }
}
