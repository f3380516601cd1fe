package io.atrium.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.common.ErrorCode;
import io.atrium.common.MlflowError;
import io.atrium.tenancy.TenantId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The URI allow-list the registry uses for model-version sources (CVE-2023-1176/-1177, CVE-2024-2928 shapes). */
class ArtifactUrisTest {
  static final TenantId ACME = new TenantId(1);
  static final TenantId GLOBEX = new TenantId(2);
  static final String RUN = "0123456789abcdef0123456789abcdef";
  // The run exists in acme only.
  final ArtifactUris uris = new ArtifactUris((t, id) -> t.equals(ACME) && id.equals(RUN));

  @Test
  void acceptsTheTenantsOwnManagedUris() {
    assertThat(uris.requireOwnedUri(ACME, "mlflow-artifacts:/1/" + RUN + "/artifacts/model").path().value())
        .isEqualTo("1/" + RUN + "/artifacts/model");
    assertThat(uris.requireOwnedUri(ACME, "mlflow-artifacts:///1/x").path().value()).isEqualTo("1/x");
    ArtifactUris.OwnedUri r = uris.requireOwnedUri(ACME, "runs:/" + RUN + "/model");
    assertThat(r.kind()).isEqualTo(ArtifactUris.Kind.RUNS);
    assertThat(r.runId()).isEqualTo(RUN);
    assertThat(r.path().value()).isEqualTo("model");
    assertThat(uris.requireOwnedUri(ACME, "models:/churn/1").modelRef()).isEqualTo("churn/1");
    assertThat(uris.requireOwnedUri(ACME, "models:/churn@champion").modelRef()).isEqualTo("churn@champion");
  }

  @Test
  void anotherTenantsRunIsRefused() {
    assertThatThrownBy(() -> uris.requireOwnedUri(GLOBEX, "runs:/" + RUN + "/model")).isInstanceOf(MlflowError.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "file:///etc/passwd", "file:/etc/passwd", "/etc/passwd", "etc/passwd", "http://169.254.169.254/latest/meta-data",
      "https://evil.example/model", "s3://other-bucket/model", "gs://b/m", "hdfs://x/y", "ftp://x/y", "dbfs:/x",
      "mlflow-artifacts://evil.example/1/x", "mlflow-artifacts:/../../etc/passwd", "mlflow-artifacts:/1/%2e%2e/%2e%2e/x",
      "mlflow-artifacts:/1/%252e%252e/x", "mlflow-artifacts:/1/a%5c..%5c..%5cx", "mlflow-artifacts:/1/a%00b",
      "mlflow-artifacts:////etc/passwd", "mlflow-artifacts:/1/x#/../../etc", "mlflow-artifacts:/1/x?a=../../",
      "runs:/" + RUN + "/../../../etc/passwd", "runs:/" + RUN + "/%2e%2e/x", "runs:/not-a-run/model", "runs://host/" + RUN,
      "models:/../../etc/passwd", "models:/churn/1#/../../x", "models:/a\\b", "", " ", "C:\\models\\x", "\\\\server\\share"})
  void refusesEverythingElse(String uri) {
    assertThatThrownBy(() -> uris.requireOwnedUri(ACME, uri))
        .isInstanceOfSatisfying(MlflowError.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
  }

  @Test
  void managedPathOfAtriumLocations() {
    assertThat(ArtifactUris.managedPath("mlflow-artifacts:/0/" + RUN + "/artifacts")).hasValueSatisfying(
        p -> assertThat(p.value()).isEqualTo("0/" + RUN + "/artifacts"));
    assertThat(ArtifactUris.managedPath("s3://b/x")).isEmpty();
    assertThat(ArtifactUris.managedPath("mlflow-artifacts:/../x")).isEmpty();
  }
}
