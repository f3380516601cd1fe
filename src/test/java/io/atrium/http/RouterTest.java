package io.atrium.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.atrium.common.MlflowError;
import io.javalin.http.HandlerType;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RouterTest {
  private static Route route(HandlerType m, String path, Route.Scope scope) {
    return Route.read(m, path, scope, ctx -> {});
  }

  private static final Route GET_RUN = route(HandlerType.GET, "/api/2.0/mlflow/runs/get", Route.Scope.TENANT);
  private static final Route LOG_BATCH = route(HandlerType.POST, "/api/2.0/mlflow/runs/log-batch", Route.Scope.TENANT);
  private static final Route MODEL = route(HandlerType.GET, "/api/2.0/mlflow/logged-models/{model_id}", Route.Scope.TENANT);
  private static final Route MODEL_TAG =
      route(HandlerType.DELETE, "/api/2.0/mlflow/logged-models/{model_id}/tags/<tag_key>", Route.Scope.TENANT);
  private static final Route DOWNLOAD =
      route(HandlerType.GET, "/api/2.0/mlflow-artifacts/artifacts/<path>", Route.Scope.TENANT);
  private static final Route LIST = route(HandlerType.GET, "/api/2.0/mlflow-artifacts/artifacts", Route.Scope.TENANT);
  private static final Route MEMBER =
      route(HandlerType.PUT, "/api/atrium/v1/tenants/{name}/members/{principal}", Route.Scope.PRINCIPAL);
  private static final Route HEALTH = route(HandlerType.GET, "/health", Route.Scope.PUBLIC);

  private final Router router = Router.of(List.of(GET_RUN, LOG_BATCH, MODEL, MODEL_TAG, DOWNLOAD, LIST, MEMBER, HEALTH));

  private Optional<Router.Match> find(HandlerType m, String path) {
    return router.find(m, path);
  }

  @Test
  void literalPathsUnderEveryServedPrefix() {
    for (String p : List.of("/api/2.0/mlflow/runs/get", "/ajax-api/2.0/mlflow/runs/get", "/t/acme/api/2.0/mlflow/runs/get",
        "/t/acme/ajax-api/2.0/mlflow/runs/get")) {
      assertThat(find(HandlerType.GET, p)).as(p).map(Router.Match::route).contains(GET_RUN);
    }
    assertThat(find(HandlerType.GET, "/t/acme/api/2.0/mlflow/runs/get").orElseThrow().params())
        .isEqualTo(Map.of("tenant", "acme"));
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/runs/get").orElseThrow().params()).isEmpty();
    assertThat(find(HandlerType.GET, "/health")).map(Router.Match::route).contains(HEALTH);
  }

  @Test
  void publicAndControlPlaneRoutesAreNotServedUnderATenantPrefix() {
    assertThat(find(HandlerType.GET, "/t/acme/health")).isEmpty();
    assertThat(find(HandlerType.PUT, "/t/acme/api/atrium/v1/tenants/acme/members/bob")).isEmpty();
  }

  @Test
  void methodMattersAndNearMissesDoNotMatch() {
    assertThat(find(HandlerType.POST, "/api/2.0/mlflow/runs/get")).isEmpty();
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/runs/gets")).isEmpty();
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/runs/ge")).isEmpty();
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/runs/get/x")).isEmpty();
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/runs//get")).isEmpty();
    assertThat(find(HandlerType.GET, "/API/2.0/mlflow/runs/get")).as("case-sensitive").isEmpty();
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/runs%2Fget")).as("literals compare with the raw path").isEmpty();
    assertThat(find(HandlerType.GET, "/t//api/2.0/mlflow/runs/get")).as("empty tenant").isEmpty();
    assertThat(find(HandlerType.GET, "/t/acme")).isEmpty();
    assertThat(find(HandlerType.GET, "/")).isEmpty();
    assertThat(find(HandlerType.GET, "")).isEmpty();
  }

  @Test
  void oneTrailingSlashIsIgnored() {
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/runs/get/")).map(Router.Match::route).contains(GET_RUN);
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/runs/get//")).isEmpty();
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/logged-models/m-1/").orElseThrow().params())
        .isEqualTo(Map.of("model_id", "m-1"));
  }

  @Test
  void segmentParametersAreOneNonEmptySegmentDecodedOnce() {
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/logged-models/m-1").orElseThrow().params())
        .isEqualTo(Map.of("model_id", "m-1"));
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/logged-models/a%20b+c%2525").orElseThrow().params())
        .as("percent-escapes decoded once, plus kept").isEqualTo(Map.of("model_id", "a b+c%25"));
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/logged-models/")).as("trailing slash, then nothing").isEmpty();
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow/logged-models/a/b")).isEmpty();
    assertThat(find(HandlerType.PUT, "/api/atrium/v1/tenants/acme/members/bob%40corp").orElseThrow().params())
        .isEqualTo(Map.of("name", "acme", "principal", "bob@corp"));
    assertThat(find(HandlerType.PUT, "/api/atrium/v1/tenants//members/bob")).isEmpty();
  }

  @Test
  void restParametersTakeTheRestOfThePathSlashesIncluded() {
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model/MLmodel")
            .orElseThrow().params())
        .isEqualTo(Map.of("path", "1/abc/artifacts/model/MLmodel"));
    assertThat(find(HandlerType.GET, "/t/acme/api/2.0/mlflow-artifacts/artifacts/a//b/").orElseThrow().params())
        .isEqualTo(Map.of("tenant", "acme", "path", "a//b"));
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow-artifacts/artifacts")).map(Router.Match::route).contains(LIST);
    assertThat(find(HandlerType.GET, "/api/2.0/mlflow-artifacts/artifacts/")).as("the trailing slash goes")
        .map(Router.Match::route).contains(LIST);
    assertThat(find(HandlerType.DELETE, "/api/2.0/mlflow/logged-models/m-1/tags/a/b%2Fc").orElseThrow().params())
        .isEqualTo(Map.of("model_id", "m-1", "tag_key", "a/b/c"));
  }

  @Test
  void theTenantSegmentIsDecodedLikeAnyParameter() {
    assertThat(find(HandlerType.POST, "/t/ac%6De/api/2.0/mlflow/runs/log-batch").orElseThrow().params())
        .isEqualTo(Map.of("tenant", "acme"));
  }

  @Test
  void malformedPercentEncodingInAParameterIsABadRequest() {
    assertThatThrownBy(() -> find(HandlerType.GET, "/api/2.0/mlflow/logged-models/%zz"))
        .isInstanceOf(MlflowError.class)
        .satisfies(e -> assertThat(((MlflowError) e).httpStatus()).isEqualTo(400));
  }

  @Test
  void theFirstRouteInRegistrationOrderWins() {
    Route byId = route(HandlerType.GET, "/api/x/{id}", Route.Scope.PUBLIC);
    Route search = route(HandlerType.GET, "/api/x/search", Route.Scope.PUBLIC);
    Route later = route(HandlerType.GET, "/api/y/search", Route.Scope.PUBLIC);
    Route yById = route(HandlerType.GET, "/api/y/{id}", Route.Scope.PUBLIC);
    Router r = Router.of(List.of(byId, search, later, yById));
    assertThat(r.find(HandlerType.GET, "/api/x/search")).map(Router.Match::route).as("template first").contains(byId);
    assertThat(r.find(HandlerType.GET, "/api/y/search")).map(Router.Match::route).as("literal first").contains(later);
    assertThat(r.find(HandlerType.GET, "/api/y/7")).map(Router.Match::route).contains(yById);
  }

  @Test
  void aTableWhereAPlainPathCouldShadowTenantPathsIsRefused() {
    assertThatThrownBy(() -> Router.of(List.of(route(HandlerType.GET, "/{anything}/x", Route.Scope.PUBLIC))))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> Router.of(List.of(route(HandlerType.GET, "/t/x", Route.Scope.PUBLIC))))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> Router.of(List.of(route(HandlerType.GET, "/a/<rest>/b", Route.Scope.PUBLIC))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
