package io.atrium.registry;

import static java.util.Objects.requireNonNull;

import io.atrium.audit.AuditEvent;
import io.atrium.audit.AuditLog;
import io.atrium.authz.Action;
import io.atrium.authz.Authz;
import io.atrium.common.MlflowError;
import io.atrium.http.RequestContext;
import io.atrium.loggedmodels.Inputs;
import io.atrium.sharing.Share;
import io.atrium.sharing.ShareStore;
import io.atrium.tenancy.Tenant;
import io.atrium.tenancy.TenantAccess;
import io.atrium.tenancy.TenantId;
import io.atrium.tenancy.TenantStatus;
import io.atrium.tenancy.TenantStore;
import io.atrium.tracking.search.ModelSearch;
import io.atrium.tracking.search.SqlQuery;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The model registry's rules: MLflow's validation, defaults and messages, authorization, and the
 * grantee's read-only view of models shared with its tenant. No HTTP, no SQL.
 *
 * <p>A model shared by tenant {@code acme} is named {@code shared.acme.<model>} in the grantee's
 * tenant (see docs/SECURITY.md, "Sharing models across tenants"). Local names beginning with
 * {@code shared.} are refused, so the two namespaces never overlap. Every read of a shared model is
 * audited in the owner's tenant; every write to one is refused.
 */
public final class RegistryService {
  public static final String SHARED_PREFIX = "shared.";
  static final long MODELS_DEFAULT = 100;
  static final long MODELS_CAP = 1000;
  static final long VERSIONS_DEFAULT = 10_000;
  static final long VERSIONS_CAP = 200_000;
  static final List<String> STAGES = List.of("None", "Staging", "Production", "Archived");
  private static final Pattern VERSION_ALIAS = Pattern.compile("^[vV]\\d+$");
  private static final Pattern ALIAS = Pattern.compile("^[\\w\\-]+$");
  private static final int MAX_NAME = 256;
  private static final int MAX_TAG_VALUE = 5000;
  private static final int MAX_DESCRIPTION = 5000;

  /** A page of results and the token for the next one. */
  public record Page<T>(List<T> items, Optional<String> nextPageToken) {}

  /** A model of another tenant this tenant may read, as this tenant names it. */
  record SharedRef(Tenant owner, Share share, String sharedName) {
    String locationOf(ModelVersion v) {
      String loc = v.storageLocation();
      String prefix = "mlflow-artifacts:/";
      return prefix + "shared/" + owner.name() + "/" + (loc.startsWith(prefix) ? loc.substring(prefix.length()) : "");
    }
  }

  private final RegistryStore store;
  private final ShareStore shares;
  private final TenantStore tenants;
  private final SourceUris sources;
  private final Authz authz;
  private final AuditLog audit;
  private final Clock clock;

  public RegistryService(RegistryStore store, ShareStore shares, TenantStore tenants, SourceUris sources, Authz authz,
      AuditLog audit, Clock clock) {
    this.store = requireNonNull(store);
    this.shares = requireNonNull(shares);
    this.tenants = requireNonNull(tenants);
    this.sources = requireNonNull(sources);
    this.authz = requireNonNull(authz);
    this.audit = requireNonNull(audit);
    this.clock = requireNonNull(clock);
  }

  // ------------------------------------------------------------------ validation and errors

  static MlflowError modelNotFound(String name) {
    return MlflowError.notFound("Registered Model with name=" + name + " not found");
  }

  static MlflowError versionNotFound(String name, Object version) {
    return MlflowError.notFound("Model Version (name=" + name + ", version=" + version + ") not found");
  }

  private static void validateName(String name, String field) {
    Inputs.required(name, field);
    if (name.isBlank()) {
      throw Inputs.missing(field);
    }
    if (name.contains("/") || name.contains(":") || name.contains("\\")) {
      throw MlflowError.invalid("Invalid model name '" + name + "'. Names cannot contain '/' or ':'.");
    }
    Inputs.maxLength(name, MAX_NAME, field);
  }

  private static void validateLocalName(String name, String field) {
    validateName(name, field);
    if (name.startsWith(SHARED_PREFIX)) {
      throw MlflowError.invalid("Invalid model name '" + name + "': names beginning with '" + SHARED_PREFIX
          + "' are reserved for models shared by other tenants");
    }
  }

  static int version(String raw) {
    Inputs.required(raw, "version");
    try {
      int v = Integer.parseInt(raw.trim());
      if (v < 1) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw MlflowError.invalid("Parameter 'version' must be an integer, got '" + raw + "'.");
    }
  }

  static String stage(String raw) {
    if (raw != null) {
      for (String s : STAGES) {
        if (s.equalsIgnoreCase(raw.trim())) {
          return s;
        }
      }
    }
    throw MlflowError.invalid("Invalid Model Version stage: " + raw + ". Value must be one of "
        + String.join(", ", STAGES) + ".");
  }

  private static void validateTag(String key, String value) {
    Inputs.key(key, "key");
    Inputs.maxLength(value, MAX_TAG_VALUE, "value");
  }

  private static void validateAlias(String alias) {
    Inputs.required(alias, "alias");
    Inputs.maxLength(alias, 255, "alias");
    if (!ALIAS.matcher(alias).matches() || alias.equalsIgnoreCase("latest") || VERSION_ALIAS.matcher(alias).matches()) {
      throw MlflowError.invalid("Invalid alias name: '" + alias + "'. Aliases may contain only alphanumerics, '_' "
          + "and '-', and cannot be 'latest' or of the form 'v<number>'.");
    }
  }

  // ------------------------------------------------------------------ sharing (grantee side)

  /** The grant behind a {@code shared.<owner>.<model>} name, or empty for a local name. */
  private Optional<SharedRef> shared(RequestContext rc, String name) {
    if (name == null || !name.startsWith(SHARED_PREFIX)) {
      return Optional.empty();
    }
    String rest = name.substring(SHARED_PREFIX.length());
    int dot = rest.indexOf('.');
    MlflowError missing = modelNotFound(name);
    if (dot <= 0 || dot == rest.length() - 1) {
      throw missing;
    }
    String ownerName = rest.substring(0, dot);
    String model = rest.substring(dot + 1);
    if (!TenantAccess.NAME.matcher(ownerName).matches()) {
      throw missing;
    }
    Tenant owner = tenants.byName(ownerName).filter(o -> o.status() == TenantStatus.ACTIVE).orElseThrow(() -> missing);
    TenantId me = rc.tenant().id();
    if (owner.id().equals(me)) {
      throw missing;
    }
    // The grant is read in the grantee's own transaction: revocation is effective on the next request.
    Share share = store.inTenant(me, h -> shares.find(h, owner.id(), model, me)).orElseThrow(() -> missing);
    return Optional.of(new SharedRef(owner, share, name));
  }

  private List<SharedRef> sharedWithMe(RequestContext rc) {
    TenantId me = rc.tenant().id();
    List<SharedRef> out = new ArrayList<>();
    for (Share s : store.inTenant(me, h -> shares.forGrantee(h, me))) {
      tenants.byId(s.owner()).filter(o -> o.status() == TenantStatus.ACTIVE && !o.id().equals(me))
          .ifPresent(o -> out.add(new SharedRef(o, s, SHARED_PREFIX + o.name() + "." + s.modelName())));
    }
    return out;
  }

  private void auditSharedRead(RequestContext rc, SharedRef ref, String what) {
    audit.record(new AuditEvent(rc.actor(), Optional.of(ref.owner().id()), "share.read " + what,
        "model=" + ref.share().modelName() + " grantee=" + rc.tenant().name(), AuditEvent.Outcome.OK, rc.requestId(),
        rc.clientAddress()));
  }

  /** Any write naming a shared model: 403 when the grant exists (it is read-only), else "not found". */
  private void refuseSharedWrite(RequestContext rc, String name) {
    if (shared(rc, name).isPresent()) {
      throw MlflowError.permissionDenied("Permission denied: '" + name + "' is shared with tenant '"
          + rc.tenant().name() + "' read-only");
    }
  }

  private ModelVersion sharedVersion(SharedRef ref, ModelVersion v) {
    return v.asShared(ref.sharedName(), ref.locationOf(v), v.aliases());
  }

  private RegisteredModel sharedModel(SharedRef ref, RegisteredModel m) {
    return new RegisteredModel(ref.sharedName(), m.creationTime(), m.lastUpdatedTime(), m.description(), null,
        m.tags(), m.aliases(), m.latestVersions().stream().map(v -> sharedVersion(ref, v)).toList());
  }

  private Set<Integer> visible(SharedRef ref) {
    return ref.share().versions();
  }

  // ------------------------------------------------------------------ registered models

  public RegisteredModel createRegisteredModel(RequestContext rc, String name, Map<String, String> tags,
      String description) {
    authz.require(rc, Action.WRITE);
    validateLocalName(name, "name");
    Inputs.maxLength(description, MAX_DESCRIPTION, "description");
    tags.forEach(RegistryService::validateTag);
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> {
      if (store.modelExists(h, t, name)) {
        throw MlflowError.alreadyExists("Registered Model (name=" + name + ") already exists.");
      }
      store.insertModel(h, t, name, description, rc.actor(), clock.millis());
      tags.forEach((k, v) -> store.setModelTag(h, t, name, k, v));
      return store.model(h, t, name, null).orElseThrow();
    });
  }

  public RegisteredModel getRegisteredModel(RequestContext rc, String name) {
    authz.require(rc, Action.READ);
    validateName(name, "name");
    Optional<SharedRef> ref = shared(rc, name);
    if (ref.isPresent()) {
      SharedRef r = ref.get();
      RegisteredModel m = store.inTenant(r.owner().id(), h -> store.model(h, r.owner().id(), r.share().modelName(),
          visible(r))).orElseThrow(() -> modelNotFound(name));
      auditSharedRead(rc, r, "registered-models/get");
      return sharedModel(r, m);
    }
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> store.model(h, t, name, null)).orElseThrow(() -> modelNotFound(name));
  }

  public RegisteredModel updateRegisteredModel(RequestContext rc, String name, String description) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    Inputs.maxLength(description, MAX_DESCRIPTION, "description");
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> {
      lockModel(h, t, name);
      store.setModelDescription(h, t, name, description, clock.millis());
      return store.model(h, t, name, null).orElseThrow();
    });
  }

  public RegisteredModel renameRegisteredModel(RequestContext rc, String name, String newName) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    validateLocalName(newName, "new_name");
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> {
      lockModel(h, t, name);
      if (!newName.equals(name) && store.modelExists(h, t, newName)) {
        throw MlflowError.alreadyExists("Registered Model (name=" + newName + ") already exists.");
      }
      store.renameModel(h, t, name, newName, clock.millis());
      return store.model(h, t, newName, null).orElseThrow();
    });
  }

  public void deleteRegisteredModel(RequestContext rc, String name) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      lockModel(h, t, name);
      store.deleteModel(h, t, name);
      return null;
    });
  }

  public void setRegisteredModelTag(RequestContext rc, String name, String key, String value) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    String v = value == null ? "" : value;
    validateTag(key, v);
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      lockModel(h, t, name);
      store.setModelTag(h, t, name, key, v);
      return null;
    });
  }

  public void deleteRegisteredModelTag(RequestContext rc, String name, String key) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    Inputs.required(key, "key");
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      lockModel(h, t, name);
      store.deleteModelTag(h, t, name, key);
      return null;
    });
  }

  public Page<RegisteredModel> searchRegisteredModels(RequestContext rc, String filter, Long maxResults,
      List<String> orderBy, String pageToken) {
    authz.require(rc, Action.READ);
    long max = Inputs.maxResults(maxResults, MODELS_DEFAULT, MODELS_CAP);
    int offset = Inputs.pageOffset(pageToken);
    TenantId t = rc.tenant().id();
    SqlQuery q = ModelSearch.registeredModels(t.value(), null, filter, orderBy, offset, (int) max + 1);
    List<RegisteredModel> local = store.inTenant(t, h -> {
      List<RegisteredModel> out = new ArrayList<>();
      for (String n : store.searchModelNames(h, q)) {
        store.model(h, t, n, null).ifPresent(out::add);
      }
      return out;
    });
    if (local.size() > max) {
      return new Page<>(local.subList(0, (int) max), Optional.of(Inputs.pageToken(offset + (int) max)));
    }
    // Local models first, in the requested order; then models shared with this tenant, by name.
    long localTotal = local.isEmpty() && offset > 0 ? store.inTenant(t, h -> store.count(h, q)) : offset + local.size();
    List<RegisteredModel> sharedAll = new ArrayList<>();
    for (SharedRef r : sharedWithMe(rc)) {
      ModelSearch.Scope scope = new ModelSearch.Scope(sharedPrefix(r), r.share().modelName(), null);
      SqlQuery sq = ModelSearch.registeredModels(r.owner().id().value(), scope, filter, orderBy, 0, 1);
      store.inTenant(r.owner().id(), h -> store.searchModelNames(h, sq).stream().findFirst()
          .flatMap(n -> store.model(h, r.owner().id(), n, visible(r)))).ifPresent(m -> {
            auditSharedRead(rc, r, "registered-models/search");
            sharedAll.add(sharedModel(r, m));
          });
    }
    sharedAll.sort(Comparator.comparing(RegisteredModel::name));
    return merge(local, sharedAll, offset, localTotal, max);
  }

  private static String sharedPrefix(SharedRef r) {
    return SHARED_PREFIX + r.owner().name() + ".";
  }

  private static <T> Page<T> merge(List<T> local, List<T> sharedAll, int offset, long localTotal, long max) {
    int sharedOffset = (int) Math.max(0, offset - localTotal);
    int room = (int) max - local.size();
    List<T> items = new ArrayList<>(local);
    int end = Math.min(sharedAll.size(), sharedOffset + room);
    if (sharedOffset < end) {
      items.addAll(sharedAll.subList(sharedOffset, end));
    }
    boolean more = sharedAll.size() > end && sharedOffset <= end;
    return new Page<>(items, more ? Optional.of(Inputs.pageToken(offset + (int) max)) : Optional.empty());
  }

  // ------------------------------------------------------------------ aliases

  public void setAlias(RequestContext rc, String name, String alias, String version) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    validateAlias(alias);
    int v = version(version);
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      lockModel(h, t, name);
      store.version(h, t, name, v).orElseThrow(() -> versionNotFound(name, v));
      store.setAlias(h, t, name, alias, v);
      store.touchModel(h, t, name, clock.millis());
      return null;
    });
  }

  public void deleteAlias(RequestContext rc, String name, String alias) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    Inputs.required(alias, "alias");
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      lockModel(h, t, name);
      store.deleteAlias(h, t, name, alias);
      store.touchModel(h, t, name, clock.millis());
      return null;
    });
  }

  public ModelVersion getVersionByAlias(RequestContext rc, String name, String alias) {
    authz.require(rc, Action.READ);
    validateName(name, "name");
    Inputs.required(alias, "alias");
    MlflowError missing = MlflowError.notFound("Registered model alias " + alias + " not found.");
    Optional<SharedRef> ref = shared(rc, name);
    if (ref.isPresent()) {
      SharedRef r = ref.get();
      TenantId o = r.owner().id();
      ModelVersion v = store.inTenant(o, h -> {
        Integer n = store.aliases(h, o, r.share().modelName()).get(alias);
        return n == null || !r.share().covers(n) ? Optional.<ModelVersion>empty()
            : store.version(h, o, r.share().modelName(), n);
      }).orElseThrow(() -> missing);
      auditSharedRead(rc, r, "registered-models/alias");
      return sharedVersion(r, v);
    }
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> {
      if (!store.modelExists(h, t, name)) {
        throw modelNotFound(name);
      }
      Integer n = store.aliases(h, t, name).get(alias);
      return n == null ? Optional.<ModelVersion>empty() : store.version(h, t, name, n);
    }).orElseThrow(() -> missing);
  }

  // ------------------------------------------------------------------ versions

  public ModelVersion createModelVersion(RequestContext rc, String name, String source, String runId,
      Map<String, String> tags, String runLink, String description, String modelId) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    Inputs.required(source, "source");
    Inputs.maxLength(description, MAX_DESCRIPTION, "description");
    tags.forEach(RegistryService::validateTag);
    String link = runLink == null || runLink.isEmpty() ? null : runLink;
    if (link != null) {
      SourceUris.checkSyntax(link, "run_link");
    }
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> {
      lockModel(h, t, name);
      SourceUris.Resolved where = sources.resolve(h, t, source, "source");
      if (link != null) {
        sources.resolve(h, t, link, "run_link");
      }
      String run = runId == null || runId.isEmpty() ? where.runId() : runId;
      if (run != null && runId != null && !runId.isEmpty()) {
        sources.resolve(h, t, "runs:/" + runId, "run_id");
      }
      String model = modelId == null || modelId.isEmpty() ? where.modelId() : modelId;
      if (modelId != null && !modelId.isEmpty()) {
        sources.resolve(h, t, "models:/" + modelId, "model_id");
      }
      int v = store.nextVersion(h, t, name);
      long now = clock.millis();
      store.insertVersion(h, t, new ModelVersion(name, v, now, now, description, rc.actor(), "None", source,
          where.storageLocation(), run, link, ModelVersion.READY, null, model, Map.of(), List.of()));
      tags.forEach((k, val) -> store.setVersionTag(h, t, name, v, k, val));
      store.touchModel(h, t, name, now);
      return store.version(h, t, name, v).orElseThrow();
    });
  }

  public ModelVersion getModelVersion(RequestContext rc, String name, String version) {
    authz.require(rc, Action.READ);
    validateName(name, "name");
    int v = version(version);
    Optional<SharedRef> ref = shared(rc, name);
    if (ref.isPresent()) {
      SharedRef r = ref.get();
      if (!r.share().covers(v)) {
        throw versionNotFound(name, v);
      }
      ModelVersion mv = store.inTenant(r.owner().id(), h -> store.version(h, r.owner().id(), r.share().modelName(), v))
          .orElseThrow(() -> versionNotFound(name, v));
      auditSharedRead(rc, r, "model-versions/get version=" + v);
      return sharedVersion(r, mv);
    }
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> store.version(h, t, name, v)).orElseThrow(() -> versionNotFound(name, v));
  }

  public String getDownloadUri(RequestContext rc, String name, String version) {
    return getModelVersion(rc, name, version).storageLocation();
  }

  public ModelVersion updateModelVersion(RequestContext rc, String name, String version, String description) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    int v = version(version);
    Inputs.maxLength(description, MAX_DESCRIPTION, "description");
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> {
      lockVersion(h, t, name, v);
      store.setVersionDescription(h, t, name, v, description, clock.millis());
      return store.version(h, t, name, v).orElseThrow();
    });
  }

  public ModelVersion transitionStage(RequestContext rc, String name, String version, String stage,
      boolean archiveExisting) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    int v = version(version);
    String target = stage(Inputs.required(stage, "stage"));
    TenantId t = rc.tenant().id();
    return store.inTenant(t, h -> {
      lockVersion(h, t, name, v);
      long now = clock.millis();
      if (archiveExisting) {
        if (!target.equals("Staging") && !target.equals("Production")) {
          throw MlflowError.invalid("Model version transition cannot archive existing model versions because '"
              + target + "' is not an Active stage. Valid stages are Staging, Production");
        }
        for (int other : store.versionsInStage(h, t, name, target)) {
          if (other != v) {
            store.setStage(h, t, name, other, "Archived", now);
          }
        }
      }
      store.setStage(h, t, name, v, target, now);
      store.touchModel(h, t, name, now);
      return store.version(h, t, name, v).orElseThrow();
    });
  }

  public void deleteModelVersion(RequestContext rc, String name, String version) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    int v = version(version);
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      lockVersion(h, t, name, v);
      store.deleteVersion(h, t, name, v);
      store.touchModel(h, t, name, clock.millis());
      return null;
    });
  }

  public void setVersionTag(RequestContext rc, String name, String version, String key, String value) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    int v = version(version);
    String val = value == null ? "" : value;
    validateTag(key, val);
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      lockVersion(h, t, name, v);
      store.setVersionTag(h, t, name, v, key, val);
      return null;
    });
  }

  public void deleteVersionTag(RequestContext rc, String name, String version, String key) {
    authz.require(rc, Action.WRITE);
    validateName(name, "name");
    refuseSharedWrite(rc, name);
    int v = version(version);
    Inputs.required(key, "key");
    TenantId t = rc.tenant().id();
    store.inTenant(t, h -> {
      lockVersion(h, t, name, v);
      store.deleteVersionTag(h, t, name, v, key);
      return null;
    });
  }

  public List<ModelVersion> getLatestVersions(RequestContext rc, String name, List<String> stages) {
    authz.require(rc, Action.READ);
    validateName(name, "name");
    List<String> wanted = new ArrayList<>();
    for (String s : stages == null ? List.<String>of() : stages) {
      wanted.add(stage(s));
    }
    Optional<SharedRef> ref = shared(rc, name);
    List<ModelVersion> latest;
    if (ref.isPresent()) {
      SharedRef r = ref.get();
      TenantId o = r.owner().id();
      latest = store.inTenant(o, h -> {
        if (!store.modelExists(h, o, r.share().modelName())) {
          throw modelNotFound(name);
        }
        return store.latestPerStage(h, o, r.share().modelName(), visible(r));
      }).stream().map(v -> sharedVersion(r, v)).toList();
      auditSharedRead(rc, r, "registered-models/get-latest-versions");
    } else {
      TenantId t = rc.tenant().id();
      latest = store.inTenant(t, h -> {
        if (!store.modelExists(h, t, name)) {
          throw modelNotFound(name);
        }
        return store.latestPerStage(h, t, name, null);
      });
    }
    if (wanted.isEmpty()) {
      return latest;
    }
    return latest.stream().filter(v -> wanted.contains(v.currentStage())).toList();
  }

  public Page<ModelVersion> searchModelVersions(RequestContext rc, String filter, Long maxResults,
      List<String> orderBy, String pageToken) {
    authz.require(rc, Action.READ);
    long max = Inputs.maxResults(maxResults, VERSIONS_DEFAULT, VERSIONS_CAP);
    int offset = Inputs.pageOffset(pageToken);
    TenantId t = rc.tenant().id();
    SqlQuery q = ModelSearch.modelVersions(t.value(), null, filter, orderBy, offset, (int) max + 1);
    List<ModelVersion> local = store.inTenant(t, h -> store.versions(h, t, store.searchVersionKeys(h, q)));
    if (local.size() > max) {
      return new Page<>(local.subList(0, (int) max), Optional.of(Inputs.pageToken(offset + (int) max)));
    }
    long localTotal = local.isEmpty() && offset > 0 ? store.inTenant(t, h -> store.count(h, q)) : offset + local.size();
    List<ModelVersion> sharedAll = new ArrayList<>();
    for (SharedRef r : sharedWithMe(rc)) {
      TenantId o = r.owner().id();
      ModelSearch.Scope scope = new ModelSearch.Scope(sharedPrefix(r), r.share().modelName(), visible(r));
      SqlQuery sq = ModelSearch.modelVersions(o.value(), scope, filter, orderBy, 0, (int) VERSIONS_CAP);
      List<ModelVersion> found = store.inTenant(o, h -> store.versions(h, o, store.searchVersionKeys(h, sq)));
      if (!found.isEmpty()) {
        auditSharedRead(rc, r, "model-versions/search");
      }
      found.forEach(v -> sharedAll.add(sharedVersion(r, v)));
    }
    sharedAll.sort(Comparator.comparing(ModelVersion::name).thenComparing(ModelVersion::version, Comparator.reverseOrder()));
    return merge(local, sharedAll, offset, localTotal, max);
  }

  private void lockModel(org.jdbi.v3.core.Handle h, TenantId t, String name) {
    if (!store.lockModel(h, t, name)) {
      throw modelNotFound(name);
    }
  }

  private void lockVersion(org.jdbi.v3.core.Handle h, TenantId t, String name, int v) {
    if (!store.lockModel(h, t, name) || store.version(h, t, name, v).isEmpty()) {
      throw versionNotFound(name, v);
    }
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  static Map<String, String> ordered(Map<String, String> m) {
    return new LinkedHashMap<>(m);
  }
}
