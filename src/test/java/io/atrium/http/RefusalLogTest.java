package io.atrium.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RefusalLogTest {
  private long now = 1_000_000_000_000L;
  private final List<String> reports = new ArrayList<>();
  private final RefusalLog log = new RefusalLog(() -> now, (t, n, s) -> reports.add(t + " " + n + " " + s));

  @Test
  void theFirstRefusalOfEachWindowIsLoggedInFullAndTheRestAreCountedOnce() {
    assertThat(log.logInFull("n")).isTrue();
    for (int i = 0; i < 499; i++) {
      now += 1_000_000L;
      assertThat(log.logInFull("n")).isFalse();
    }
    assertThat(reports).as("nothing reported while the window lasts").isEmpty();
    now += RefusalLog.WINDOW_NANOS;
    assertThat(log.logInFull("n")).as("the first of the next window").isTrue();
    assertThat(reports).containsExactly("n 499 10");
    now += 1_000_000L;
    assertThat(log.logInFull("n")).isFalse();
    now += RefusalLog.WINDOW_NANOS;
    log.flush();
    assertThat(reports).as("a flush reports a window that ended with counts left").containsExactly("n 499 10", "n 1 10");
    log.flush();
    assertThat(reports).as("each count is reported once").hasSize(2);
  }

  @Test
  void tenantsHaveWindowsOfTheirOwn() {
    assertThat(log.logInFull("n")).isTrue();
    assertThat(log.logInFull("n")).isFalse();
    assertThat(log.logInFull("q")).as("another tenant's first refusal is logged in full").isTrue();
    now += RefusalLog.WINDOW_NANOS;
    log.flush();
    assertThat(reports).containsExactly("n 1 10");
  }

  @Test
  void aWindowWithOneRefusalReportsNothingMore() {
    assertThat(log.logInFull("n")).isTrue();
    now += 2 * RefusalLog.WINDOW_NANOS;
    log.flush();
    assertThat(log.logInFull("n")).isTrue();
    assertThat(reports).isEmpty();
  }

  @Test
  void atShutdownEvenAnUnfinishedWindowIsReported() {
    assertThat(log.logInFull("n")).isTrue();
    assertThat(log.logInFull("n")).isFalse();
    log.flush();
    assertThat(reports).as("the window is not over").isEmpty();
    log.flushAll();
    assertThat(reports).containsExactly("n 1 10");
  }
}
