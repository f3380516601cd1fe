package io.atrium.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.common.ErrorCode;
import io.atrium.tenancy.TenantId;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Admission rules in isolation; the limits come from a stub service with no database. */
class AdmissionTest {
  private static final TenantId NOISY = new TenantId(1);
  private static final TenantId QUIET = new TenantId(2);
  private final AtomicLong now = new AtomicLong();

  private Admission admission(TenantLimits limits, int capacity) {
    return new Admission(tenant -> limits, capacity, now::get);
  }

  private static TenantLimits limits(double rps, int burst, int concurrency, double runsPerMinute) {
    return new TenantLimits(rps, burst, concurrency, runsPerMinute, OptionalLong.empty());
  }

  @Test
  void overTheRateIsA429WithRetryAfterAndTheOtherTenantIsUnaffected() {
    Admission a = admission(limits(1, 2, 100, 1000), 1000);
    a.admit(NOISY, "noisy", false).close();
    a.admit(NOISY, "noisy", false).close();
    assertThatThrownBy(() -> a.admit(NOISY, "noisy", false))
        .isInstanceOfSatisfying(Admission.Refused.class, r -> {
          assertThat(r.reason()).isEqualTo(Admission.Refusal.RATE);
          assertThat(r.error().code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
          assertThat(r.error().retryAfterSeconds()).isEqualTo(1);
        });
    a.admit(QUIET, "quiet", false).close();
  }

  @Test
  void concurrencyCountsOnlyRequestsStillInFlight() {
    Admission a = admission(limits(1000, 1000, 2, 1000), 1000);
    Admission.Permit p1 = a.admit(NOISY, "noisy", false);
    Admission.Permit p2 = a.admit(NOISY, "noisy", false);
    assertThatThrownBy(() -> a.admit(NOISY, "noisy", false))
        .isInstanceOfSatisfying(Admission.Refused.class, r -> assertThat(r.reason()).isEqualTo(Admission.Refusal.CONCURRENCY));
    p1.close();
    a.admit(NOISY, "noisy", false).close();
    p2.close();
    assertThat(a.inFlight(NOISY)).isZero();
    assertThat(a.totalInFlight()).isZero();
  }

  @Test
  void runCreationHasItsOwnRate() {
    Admission a = admission(limits(1000, 1000, 100, 2), 1000);
    a.admit(NOISY, "noisy", true).close();
    a.admit(NOISY, "noisy", true).close();
    assertThatThrownBy(() -> a.admit(NOISY, "noisy", true))
        .isInstanceOfSatisfying(Admission.Refused.class, r -> assertThat(r.reason()).isEqualTo(Admission.Refusal.RUN_RATE));
    a.admit(NOISY, "noisy", false).close(); // other requests still pass
  }

  @Test
  void aTenantAloneMayFillTheServerButANewcomerAlwaysFindsItsShare() {
    Admission a = admission(limits(1e6, 1_000_000, 1000, 1000), 8);
    List<Admission.Permit> noisy = new ArrayList<>();
    // Alone, the noisy tenant may use every slot (and one more: the check is "over capacity").
    for (int i = 0; i < 8; i++) {
      noisy.add(a.admit(NOISY, "noisy", false));
    }
    // The quiet tenant arrives: total is over capacity but it holds nothing, so it is admitted.
    Admission.Permit quiet = a.admit(QUIET, "quiet", false);
    // Now the noisy tenant is over its fair share (8 slots / 2 busy tenants = 4) and is refused.
    assertThatThrownBy(() -> a.admit(NOISY, "noisy", false))
        .isInstanceOfSatisfying(Admission.Refused.class, r -> assertThat(r.reason()).isEqualTo(Admission.Refusal.FAIR_SHARE));
    // The quiet tenant keeps getting in up to its share.
    List<Admission.Permit> more = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      more.add(a.admit(QUIET, "quiet", false));
    }
    quiet.close();
    more.forEach(Admission.Permit::close);
    noisy.forEach(Admission.Permit::close);
    assertThat(a.totalInFlight()).isZero();
  }
}
