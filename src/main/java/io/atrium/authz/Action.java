package io.atrium.authz;

/** What a request wants to do inside a tenant, and the weakest role allowed to do it. */
public enum Action {
  READ(Role.VIEWER),
  WRITE(Role.EDITOR),
  READ_AUDIT(Role.ADMIN),
  MANAGE_MEMBERS(Role.ADMIN),
  MANAGE_TOKENS(Role.ADMIN),
  MANAGE_TENANT(Role.OWNER);

  private final Role minimum;

  Action(Role minimum) {
    this.minimum = minimum;
  }

  public Role minimum() {
    return minimum;
  }
}
