package io.atrium.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group commit on a real MVStore whose own writes are delayed (as the default URL's
 * WRITE_DELAY does): what a kill would leave is the file as it is, so each check opens a copy of
 * the file taken while the store is still open and in use.
 */
class H2GroupCommitTest {
  @TempDir Path dir;

  private MVStore open(Path file) {
    MVStore s = new MVStore.Builder().fileName(file.toString()).open();
    s.setAutoCommitDelay(600_000);
    return s;
  }

  /** The keys a process killed right now would find in the file. */
  private List<Integer> keysInFileNow(Path file) throws Exception {
    Path copy = dir.resolve("copy-" + System.nanoTime() + ".mv.db");
    Files.copy(file, copy);
    try (MVStore s = new MVStore.Builder().fileName(copy.toString()).readOnly().open()) {
      MVMap<Integer, String> m = s.openMap("data");
      return new ArrayList<>(m.keySet());
    }
  }

  @Test
  void aChangeIsInTheFileOnceSyncReturnsAndNotBefore() throws Exception {
    Path file = dir.resolve("a.mv.db");
    try (MVStore store = open(file)) {
      H2GroupCommit gc = new H2GroupCommit(store);
      MVMap<Integer, String> m = store.openMap("data");
      gc.sync(); // the new map itself
      m.put(1, "one");
      assertThat(keysInFileNow(file)).as("H2 delays its own write").doesNotContain(1);
      gc.sync();
      assertThat(keysInFileNow(file)).containsExactly(1);
    }
  }

  @Test
  void concurrentCommitsShareWritesAndEachIsInTheFileWhenItsSyncReturns() throws Exception {
    Path file = dir.resolve("b.mv.db");
    try (MVStore store = open(file)) {
      H2GroupCommit gc = new H2GroupCommit(store);
      MVMap<Integer, String> m = store.openMap("data");
      gc.sync();
      long versionBefore = store.getCurrentVersion();
      int threads = 16;
      int perThread = 50;
      CountDownLatch go = new CountDownLatch(1);
      List<Integer> unsaved = java.util.Collections.synchronizedList(new ArrayList<>());
      try (var pool = Executors.newFixedThreadPool(threads)) {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int base = t * perThread;
          fs.add(pool.submit(() -> {
            go.await();
            for (int k = base; k < base + perThread; k++) {
              m.put(k, "v" + k);
              gc.sync();
              // Everything this thread synced is stored: no unsaved change of its own remains.
              if (k % 10 == 0 && !keysInFileNow(file).contains(k)) {
                unsaved.add(k);
              }
            }
            return null;
          }));
        }
        go.countDown();
        for (Future<?> f : fs) {
          f.get();
        }
      }
      assertThat(unsaved).as("keys missing from the file after their sync returned").isEmpty();
      assertThat(keysInFileNow(file)).hasSize(threads * perThread);
      long writes = store.getCurrentVersion() - versionBefore;
      assertThat(writes).as("file writes for %d synced commits", threads * perThread)
          .isPositive()
          .isLessThan(threads * perThread);
    }
  }
}
