package io.atrium.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.common.ErrorCode;
import io.atrium.common.MlflowError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The syntax half of the model-source allow-list (CVE-2023-1176/-1177, CVE-2024-2928 shapes): these
 * are refused before anything is looked up. Whether an accepted URI names an object of the caller's
 * own tenant is RegistryIT's part, over real HTTP.
 */
class SourceUrisTest {
  static final String RUN = "0123456789abcdef0123456789abcdef";

  @Test
  void acceptsTheThreeManagedSchemes() {
    assertThat(SourceUris.checkSyntax("mlflow-artifacts:/1/" + RUN + "/artifacts/model", "source"))
        .isEqualTo("mlflow-artifacts");
    assertThat(SourceUris.checkSyntax("runs:/" + RUN + "/model", "source")).isEqualTo("runs");
    assertThat(SourceUris.checkSyntax("models:/churn/1", "source")).isEqualTo("models");
    assertThat(SourceUris.checkSyntax("models:/churn@champion", "source")).isEqualTo("models");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "file:///etc/passwd", "file:/etc/passwd", "/etc/passwd", "etc/passwd", "http://169.254.169.254/latest/meta-data",
      "https://evil.example/model", "s3://other-bucket/model", "gs://b/m", "hdfs://x/y", "ftp://x/y", "dbfs:/x",
      "mlflow-artifacts://evil.example/1/x", "mlflow-artifacts:/../../etc/passwd", "mlflow-artifacts:/1/%2e%2e/%2e%2e/x",
      "mlflow-artifacts:/1/%252e%252e/x", "mlflow-artifacts:/1/a%5c..%5c..%5cx", "mlflow-artifacts:/1/a%00b",
      "mlflow-artifacts:////etc/passwd", "mlflow-artifacts:/1/x#/../../etc", "mlflow-artifacts:/1/x?a=../../",
      "runs:/" + RUN + "/../../../etc/passwd", "runs:/" + RUN + "/%2e%2e/x", "runs://host/" + RUN,
      "models:/../../etc/passwd", "models:/churn/1#/../../x", "models:/a\\b", "", " ", "C:\\models\\x", "\\\\server\\share"})
  void refusesEverythingElseBeforeAnyLookup(String uri) {
    assertThatThrownBy(() -> SourceUris.checkSyntax(uri, "source"))
        .isInstanceOfSatisfying(MlflowError.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
  }
}
