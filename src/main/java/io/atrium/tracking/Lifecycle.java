package io.atrium.tracking;

/** MLflow's lifecycle_stage values. */
public final class Lifecycle {
  public static final String ACTIVE = "active";
  public static final String DELETED = "deleted";

  private Lifecycle() {}
}
