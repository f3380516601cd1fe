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

  /** The store's column-wise shape of {@code points} (one key, in history order). */
  private static MetricStore.Points columns(List<Metric> points) {
    int n = points.size();
    long[] steps = new long[n + 3]; // spare room, as the store's arrays have
    long[] timestamps = new long[n + 3];
    double[] values = new double[n + 3];
    for (int i = 0; i < n; i++) {
      steps[i] = points.get(i).step();
      timestamps[i] = points.get(i).timestamp();
      values[i] = points.get(i).value();
    }
    return new MetricStore.Points("loss", steps, timestamps, values, n);
  }

  private static List<Metric> sample(List<Metric> points, int max) {
    return TrackingService.sample(columns(points), max);
  }

  @Test
  void fewerStepsThanAskedForComeBackWhole() {
    List<Metric> all = points(10, 2);
    assertThat(sample(all, 10)).isEqualTo(all);
    assertThat(sample(List.of(), 5)).isEmpty();
  }

  @Test
  void manyStepsAreSampledEvenlyKeepingFirstAndLastAndEveryPointOfAChosenStep() {
    List<Metric> all = points(1_000, 2);
    List<Metric> sampled = sample(all, 320);
    List<Long> steps = sampled.stream().map(Metric::step).distinct().toList();
    assertThat(steps).hasSize(320).startsWith(0L).endsWith(999L).isSorted();
    assertThat(sampled).hasSize(640).allSatisfy(m -> assertThat(all).contains(m));
    assertThat(sample(all, 1)).extracting(Metric::step).containsOnly(999L);
  }

  /** 320 steps at 7: the stride is 53.1666..., and k = 3 lands on 159.5, which rounds up. */
  @Test
  void aStrideLandingHalfwayRoundsUpAsMathRoundDoes() {
    List<Metric> all = points(320, 1);
    assertThat(sample(all, 7)).extracting(Metric::step).containsExactly(0L, 53L, 106L, 160L, 213L, 266L, 319L);
  }

  @Test
  void nanValuesAndGapsInStepsSurvive() {
    List<Metric> all = List.of(new Metric("loss", Double.NaN, 1, -40), new Metric("loss", 1, 2, -3),
        new Metric("loss", 2, 3, 7), new Metric("loss", 3, 4, 7), new Metric("loss", 4, 5, 1_000));
    assertThat(sample(all, 10)).isEqualTo(all);
    assertThat(sample(all, 2)).containsExactly(all.get(0), all.get(4));
    assertThat(sample(all, 3)).containsExactly(all.get(0), all.get(2), all.get(3), all.get(4));
  }
}
