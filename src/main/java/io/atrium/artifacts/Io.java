package io.atrium.artifacts;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Storage calls throw IOException; services deal in unchecked errors. */
final class Io {
  private Io() {}

  @FunctionalInterface
  interface IoSupplier<T> {
    T get() throws IOException;
  }

  static <T> T io(IoSupplier<T> s) {
    try {
      return s.get();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
