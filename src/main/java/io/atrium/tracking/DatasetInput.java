package io.atrium.tracking;

import java.util.Map;

/** A dataset used by a run, with the input's tags (e.g. mlflow.data.context). */
public record DatasetInput(Dataset dataset, Map<String, String> tags) {
  public record Dataset(
      String name, String digest, String sourceType, String source, String schema, String profile) {}
}
