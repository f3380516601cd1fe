package io.atrium.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.common.ErrorCode;
import io.atrium.common.MlflowError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArtifactPathTest {
  @Test
  void normalizesHarmlessShapes() {
    assertThat(ArtifactPath.parse("1/abc/artifacts/model.pkl").value()).isEqualTo("1/abc/artifacts/model.pkl");
    assertThat(ArtifactPath.parse("a//b/").value()).isEqualTo("a/b");
    assertThat(ArtifactPath.parse("").isRoot()).isTrue();
    assertThat(ArtifactPath.parse(null).isRoot()).isTrue();
    assertThat(ArtifactPath.parse("données/模型 v1.txt").segments()).containsExactly("données", "模型 v1.txt");
    assertThat(ArtifactPath.parse("file..name").value()).isEqualTo("file..name");
    assertThat(ArtifactPath.parse("...").value()).isEqualTo("...");
    assertThat(ArtifactPath.parse("100%sure").value()).isEqualTo("100%sure");
  }

  @Test
  void decodesExactlyOnce() {
    assertThat(ArtifactPath.fromRawUrlPath("a%20b/c%2Bd+e").value()).isEqualTo("a b/c+d+e");
    assertThat(ArtifactPath.fromRawUrlPath("%E6%A8%A1%E5%9E%8B").value()).isEqualTo("模型");
    // %2525 decodes once to %25, which is refused as a leftover escape, never decoded again
    assertThatThrownBy(() -> ArtifactPath.fromRawUrlPath("%25252e")).isInstanceOf(MlflowError.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"..", "../x", "a/../b", "a/..", ".", "./a", "a/./b", "/etc/passwd", "//etc", "a\\b", "..\\..\\x",
      "a\u0000b", "a\nb", "a\u007fb", "a?b", "a#b", "%2e%2e", "a%2fb", "%00", "C:", "c:/windows", "C:\\x"})
  void refusesUnsafeDecodedPaths(String p) {
    assertThatThrownBy(() -> ArtifactPath.parse(p))
        .isInstanceOfSatisfying(MlflowError.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
  }

  @ParameterizedTest
  @ValueSource(strings = {"%2e%2e/x", "%2E%2E", "%252e%252e", "..%2f", "%2fetc", "%5c", "%00", "%c0%ae%c0%ae", "%ff", "a%zz", "a%2",
      "a%3fb", "a%23b"})
  void refusesUnsafeRawPaths(String raw) {
    assertThatThrownBy(() -> ArtifactPath.fromRawUrlPath(raw))
        .isInstanceOfSatisfying(MlflowError.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE));
  }

  @Test
  void refusesOverlongPaths() {
    assertThatThrownBy(() -> ArtifactPath.parse("a/".repeat(500))).isInstanceOf(MlflowError.class);
    assertThatThrownBy(() -> ArtifactPath.parse("x".repeat(256))).isInstanceOf(MlflowError.class);
  }

  @Test
  void containment() {
    ArtifactPath run = ArtifactPath.parse("1/abc/artifacts");
    assertThat(run.contains(ArtifactPath.parse("1/abc/artifacts/m"))).isTrue();
    assertThat(run.contains(ArtifactPath.parse("1/abc/artifactsX"))).isFalse();
    assertThat(run.resolve("model/x.pkl").value()).isEqualTo("1/abc/artifacts/model/x.pkl");
  }
}
