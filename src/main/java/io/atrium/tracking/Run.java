package io.atrium.tracking;

import java.util.List;
import java.util.Map;

/**
 * A run with its latest metrics, params, tags, dataset inputs, and the MLflow 3 logged models it
 * used (model inputs: model ids) and produced (model outputs).
 */
public record Run(
    RunInfo info,
    List<Metric> metrics,
    Map<String, String> params,
    Map<String, String> tags,
    List<DatasetInput> inputs,
    List<String> modelInputs,
    List<ModelOutput> modelOutputs) {

  /** A logged model a run produced, at the step it was logged. */
  public record ModelOutput(String modelId, long step) {}

  /** A run without logged-model inputs or outputs. */
  public Run(RunInfo info, List<Metric> metrics, Map<String, String> params, Map<String, String> tags,
      List<DatasetInput> inputs) {
    this(info, metrics, params, tags, inputs, List.of(), List.of());
  }

  Run withModels(List<String> inputs, List<ModelOutput> outputs) {
    return new Run(info, metrics, params, tags, this.inputs, List.copyOf(inputs), List.copyOf(outputs));
  }
}
