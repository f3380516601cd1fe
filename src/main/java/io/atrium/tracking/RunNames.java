package io.atrium.tracking;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** MLflow-style default run names: {@code <adjective>-<noun>-<0..999>}. */
final class RunNames {
  private static final List<String> ADJECTIVES =
      List.of("bright", "calm", "clever", "bold", "brave", "eager", "gentle", "honest", "jolly", "kind", "lively",
          "merry", "nimble", "polite", "proud", "quick", "quiet", "sharp", "silent", "sunny", "swift", "tidy", "wise");
  private static final List<String> NOUNS =
      List.of("owl", "fox", "bear", "hawk", "lynx", "otter", "panda", "robin", "seal", "slug", "snail", "stag", "swan",
          "toad", "trout", "whale", "wolf", "wren", "yak", "zebra", "crane", "finch", "goose");

  private RunNames() {}

  static String random() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return ADJECTIVES.get(r.nextInt(ADJECTIVES.size())) + "-" + NOUNS.get(r.nextInt(NOUNS.size())) + "-" + r.nextInt(1000);
  }
}
