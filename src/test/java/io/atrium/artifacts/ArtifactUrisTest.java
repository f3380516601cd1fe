package io.atrium.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reading Atrium's own mlflow-artifacts: locations back into artifact paths. */
class ArtifactUrisTest {
  static final String RUN = "0123456789abcdef0123456789abcdef";

  @Test
  void managedPathOfAtriumLocations() {
    assertThat(ArtifactUris.managedPath("mlflow-artifacts:/0/" + RUN + "/artifacts")).hasValueSatisfying(
        p -> assertThat(p.value()).isEqualTo("0/" + RUN + "/artifacts"));
    assertThat(ArtifactUris.managedPath("s3://b/x")).isEmpty();
    assertThat(ArtifactUris.managedPath("mlflow-artifacts:/../x")).isEmpty();
  }
}
