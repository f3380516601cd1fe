package io.atrium.db;

/** The two supported metadata databases. SQL is written to run on both; the few differences live here. */
public enum Dialect {
  H2,
  POSTGRES
}
