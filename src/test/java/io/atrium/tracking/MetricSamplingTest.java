package io.atrium.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricSamplingTest {
  private static List<Metric> points(int steps, int perStep) {
    List<Metric> out = new ArrayList<>();
    for (int s = 0; s < steps; s++) {
      for (int i = 0; i < perStep; i++) {
        out.add(new Metric("loss", 1.0 / (s + 1) + i, 1_700_000_000_000L + i, s));
      }
    }
    return out;
  }

  @Test
  void fewerStepsThanAskedForComeBackWhole() {
    List<Metric> all = points(10, 2);
    assertThat(TrackingService.sample(all, 10)).isEqualTo(all);
    assertThat(TrackingService.sample(List.of(), 5)).isEmpty();
  }

  @Test
  void manyStepsAreSampledEvenlyKeepingFirstAndLastAndEveryPointOfAChosenStep() {
    List<Metric> all = points(1_000, 2);
    List<Metric> sampled = TrackingService.sample(all, 320);
    List<Long> steps = sampled.stream().map(Metric::step).distinct().toList();
    assertThat(steps).hasSize(320).startsWith(0L).endsWith(999L).isSorted();
    assertThat(sampled).hasSize(640).allSatisfy(m -> assertThat(all).contains(m));
    assertThat(TrackingService.sample(all, 1)).extracting(Metric::step).containsOnly(999L);
  }
}
