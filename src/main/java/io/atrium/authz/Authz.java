package io.atrium.authz;

import io.atrium.common.MlflowError;
import io.atrium.http.RequestContext;

/**
 * The one place that decides whether a request's role allows an action. Being a member at all was
 * settled at the edge (a non-member never gets this far: it was told the tenant does not exist).
 */
public final class Authz {
  public void require(RequestContext rc, Action action) {
    if (!allows(rc, action)) {
      throw MlflowError.permissionDenied(
          "Permission denied: '" + action.name().toLowerCase() + "' needs role " + action.minimum().wire()
              + " or higher in tenant '" + rc.tenant().name() + "'");
    }
  }

  public boolean allows(RequestContext rc, Action action) {
    return rc.role().atLeast(action.minimum());
  }
}
