package io.atrium.isolation.support;

import io.atrium.testing.TestDatabases;
import io.atrium.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * One server per database kind for a whole test class, started on first use and set up once with
 * {@code setup}. Each server has its own fresh database and a random port, so classes holding a pool
 * run safely in parallel. Close it in {@code @AfterAll}.
 *
 * @param <F> what the set-up built on that server (tokens, ids) for the tests to use
 */
public final class ServerPool<F> implements AutoCloseable {
  private final Function<TestServer, F> setup;
  private final Map<TestDatabases.Kind, TestServer> servers = new ConcurrentHashMap<>();
  private final Map<TestDatabases.Kind, F> fixtures = new ConcurrentHashMap<>();

  public ServerPool(Function<TestServer, F> setup) {
    this.setup = setup;
  }

  public static ServerPool<TestServer> plain() {
    return new ServerPool<>(s -> s);
  }

  public synchronized F get(TestDatabases.Kind kind) {
    F f = fixtures.get(kind);
    if (f == null) {
      TestServer s = TestServer.start(kind);
      servers.put(kind, s);
      f = setup.apply(s);
      fixtures.put(kind, f);
    }
    return f;
  }

  public TestServer server(TestDatabases.Kind kind) {
    get(kind);
    return servers.get(kind);
  }

  @Override
  public synchronized void close() {
    List<RuntimeException> failures = new ArrayList<>();
    for (TestServer s : servers.values()) {
      try {
        s.close();
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    servers.clear();
    fixtures.clear();
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }
}
