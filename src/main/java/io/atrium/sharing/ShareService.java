package io.atrium.sharing;

import static java.util.Objects.requireNonNull;

import io.atrium.audit.AuditEvent;
import io.atrium.audit.AuditLog;
import io.atrium.authz.Role;
import io.atrium.common.MlflowError;
import io.atrium.db.Database;
import io.atrium.http.RequestContext;
import io.atrium.registry.ModelVersion;
import io.atrium.registry.RegistryStore;
import io.atrium.tenancy.Tenant;
import io.atrium.tenancy.TenantAccess;
import io.atrium.tenancy.TenantId;
import io.atrium.tenancy.TenantService;
import io.atrium.tenancy.TenantStatus;
import io.atrium.tenancy.TenantStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Cross-tenant read grants on registered models: granted and revoked by the owner tenant's owners
 * and admins, listed by any member of either side, and checked on every grantee read (nothing is
 * cached, so a revocation is effective on the next request). Grants and revocations are audited in
 * both tenants' logs.
 */
public final class ShareService implements SharedArtifactAccess {
  /** A grant as the API shows it: tenant names, not ids. */
  public record ShareView(String shareId, String owner, String model, String grantee, List<Integer> versions,
      String createdBy, long createdAt) {}

  private final Database db;
  private final ShareStore store;
  private final RegistryStore registry;
  private final TenantService tenantService;
  private final TenantStore tenants;
  private final AuditLog audit;
  private final Clock clock;

  public ShareService(Database db, ShareStore store, RegistryStore registry, TenantService tenantService,
      TenantStore tenants, AuditLog audit, Clock clock) {
    this.db = requireNonNull(db);
    this.store = requireNonNull(store);
    this.registry = requireNonNull(registry);
    this.tenantService = requireNonNull(tenantService);
    this.tenants = requireNonNull(tenants);
    this.audit = requireNonNull(audit);
    this.clock = requireNonNull(clock);
  }

  public ShareView grant(RequestContext rc, String ownerName, String model, String toTenant, List<String> versions) {
    Tenant owner = tenantService.requireRole(rc, ownerName, Role.ADMIN);
    if (model == null || model.isEmpty()) {
      throw MlflowError.invalid("Missing value for required parameter 'model'.");
    }
    if (toTenant == null || toTenant.isEmpty()) {
      throw MlflowError.invalid("Missing value for required parameter 'to_tenant'.");
    }
    Tenant grantee = (TenantAccess.NAME.matcher(toTenant).matches() ? tenants.byName(toTenant) : Optional.<Tenant>empty())
        .filter(t -> t.status() != TenantStatus.DELETED)
        .orElseThrow(() -> TenantAccess.notFound(toTenant));
    if (grantee.id().equals(owner.id())) {
      throw MlflowError.invalid("A tenant cannot share a model with itself");
    }
    Set<Integer> wanted = null;
    if (versions != null && !versions.isEmpty()) {
      wanted = new TreeSet<>();
      for (String v : versions) {
        try {
          wanted.add(Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
          throw MlflowError.invalid("Invalid version '" + v + "': versions are positive integers");
        }
      }
    }
    Set<Integer> finalWanted = wanted;
    Share share = db.inTenant(owner.id(), h -> {
      if (!registry.lockModel(h, owner.id(), model)) {
        throw MlflowError.notFound("Registered Model with name=" + model + " not found");
      }
      if (finalWanted != null) {
        for (int v : finalWanted) {
          registry.version(h, owner.id(), model, v).orElseThrow(() -> MlflowError.notFound(
              "Model Version (name=" + model + ", version=" + v + ") not found"));
        }
      }
      String id = store.find(h, owner.id(), model, grantee.id()).map(Share::shareId)
          .orElseGet(() -> UUID.randomUUID().toString().replace("-", ""));
      Share s = new Share(id, owner.id(), model, grantee.id(), finalWanted, rc.actor(), clock.millis());
      store.upsert(h, s);
      return s;
    });
    String resource = "share=" + share.shareId() + " model=" + model + " owner=" + owner.name() + " grantee="
        + grantee.name() + " versions=" + (wanted == null ? "all" : ShareStore.encode(wanted));
    record(rc, owner.id(), "share.grant", resource);
    record(rc, grantee.id(), "share.grant", resource);
    return view(share, owner, grantee);
  }

  /** Grants given by {@code tenant} and grants received by it. */
  public List<List<ShareView>> list(RequestContext rc, String tenantName) {
    Tenant t = tenantService.requireRole(rc, tenantName, Role.VIEWER);
    List<Share> given = db.inTenant(t.id(), h -> store.byOwner(h, t.id()));
    List<Share> received = db.inTenant(t.id(), h -> store.forGrantee(h, t.id()));
    List<ShareView> g = new ArrayList<>();
    for (Share s : given) {
      tenants.byId(s.grantee()).ifPresent(gt -> g.add(view(s, t, gt)));
    }
    List<ShareView> r = new ArrayList<>();
    for (Share s : received) {
      tenants.byId(s.owner()).filter(o -> o.status() != TenantStatus.DELETED).ifPresent(o -> r.add(view(s, o, t)));
    }
    return List.of(g, r);
  }

  /** Revokes by id, or by (model, grantee) when {@code shareId} is null. */
  public void revoke(RequestContext rc, String ownerName, String shareId, String model, String toTenant) {
    Tenant owner = tenantService.requireRole(rc, ownerName, Role.ADMIN);
    MlflowError missing = MlflowError.notFound("No such share in tenant '" + owner.name() + "'");
    Share removed = db.inTenant(owner.id(), h -> {
      Optional<Share> s;
      if (shareId != null && !shareId.isEmpty()) {
        s = store.byId(h, owner.id(), shareId);
      } else {
        if (model == null || toTenant == null) {
          throw MlflowError.invalid("Name the share to revoke: its id, or 'model' and 'to_tenant'");
        }
        s = tenants.byName(toTenant).flatMap(g -> store.find(h, owner.id(), model, g.id()));
      }
      Share found = s.orElseThrow(() -> missing);
      store.delete(h, owner.id(), found.shareId());
      return found;
    });
    String granteeName = tenants.byId(removed.grantee()).map(Tenant::name).orElse("?");
    String resource = "share=" + removed.shareId() + " model=" + removed.modelName() + " owner=" + owner.name()
        + " grantee=" + granteeName;
    record(rc, owner.id(), "share.revoke", resource);
    record(rc, removed.grantee(), "share.revoke", resource);
  }

  @Override
  public Optional<TenantId> readableOwner(RequestContext rc, String ownerTenant, String path) {
    TenantId me = rc.tenant().id();
    Optional<Tenant> owner = ownerTenant != null && TenantAccess.NAME.matcher(ownerTenant).matches()
        ? tenants.byName(ownerTenant).filter(o -> o.status() == TenantStatus.ACTIVE && !o.id().equals(me))
        : Optional.empty();
    if (owner.isEmpty() || path == null || path.isEmpty() || path.contains("..") || path.startsWith("/")) {
      return Optional.empty();
    }
    TenantId o = owner.get().id();
    List<Share> grants = db.inTenant(me, h -> store.forGrantee(h, me)).stream().filter(s -> s.owner().equals(o)).toList();
    boolean allowed = false;
    String model = null;
    for (Share s : grants) {
      List<ModelVersion> versions = db.inTenant(o, h -> registry.allVersions(h, o, s.modelName()));
      for (ModelVersion v : versions) {
        String prefix = v.storageLocation().startsWith("mlflow-artifacts:/")
            ? v.storageLocation().substring("mlflow-artifacts:/".length()) : null;
        if (prefix != null && s.covers(v.version()) && (path.equals(prefix) || path.startsWith(prefix + "/"))) {
          allowed = true;
          model = s.modelName();
          break;
        }
      }
      if (allowed) {
        break;
      }
    }
    audit.record(new AuditEvent(rc.actor(), Optional.of(o), "share.read artifact",
        "path=" + path + (model == null ? "" : " model=" + model) + " grantee=" + rc.tenant().name(),
        allowed ? AuditEvent.Outcome.OK : AuditEvent.Outcome.NOT_FOUND, rc.requestId(), rc.clientAddress()));
    return allowed ? Optional.of(o) : Optional.empty();
  }

  private void record(RequestContext rc, TenantId tenant, String action, String resource) {
    audit.record(new AuditEvent(rc.actor(), Optional.of(tenant), action, resource, AuditEvent.Outcome.OK,
        rc.requestId(), rc.clientAddress()));
  }

  private static ShareView view(Share s, Tenant owner, Tenant grantee) {
    return new ShareView(s.shareId(), owner.name(), s.modelName(), grantee.name(),
        s.versions() == null ? null : List.copyOf(new TreeSet<>(s.versions())), s.createdBy(), s.createdAt());
  }
}
