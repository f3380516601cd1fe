package io.atrium.tracking.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.atrium.common.ErrorCode;
import io.atrium.common.MlflowError;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

class ExperimentSearchTest {
  private static SqlQuery compile(String filter, String... orderBy) {
    return ExperimentSearch.compile(4, filter, List.of(orderBy), ViewType.ACTIVE_ONLY, 0, 50);
  }

  @Test
  void baseQueryAndDefaultOrder() {
    SqlQuery q = compile(null);
    assertThat(q.sql())
        .isEqualTo(
            "SELECT e.experiment_id FROM experiments e WHERE e.tenant_id = :tenant AND"
                + " e.lifecycle_stage = 'active' ORDER BY e.creation_time DESC, e.experiment_id"
                + " ASC LIMIT :limit OFFSET :offset");
    assertThat(q.params())
        .containsExactly(entry("tenant", 4L), entry("limit", 50), entry("offset", 0));
    assertThat(ExperimentSearch.compile(4, null, null, ViewType.ALL, 0, 1).sql())
        .contains("e.lifecycle_stage IN ('active', 'deleted')");
  }

  @Test
  void orderByAppendsExperimentIdTieBreaker() {
    assertThat(compile(null, "name").sql())
        .contains("ORDER BY e.name ASC, e.experiment_id DESC LIMIT");
    assertThat(compile(null, "last_update_time DESC", "experiment_id").sql())
        .contains("ORDER BY e.last_update_time DESC, e.experiment_id ASC LIMIT");
    assertThat(compile(null, "attribute.creation_time asc").sql())
        .contains("ORDER BY e.creation_time ASC, e.experiment_id DESC");
  }

  @Test
  void filters() {
    SqlQuery q = compile("name LIKE 'abc%' AND tags.owner = 'ann' AND creation_time > 5");
    assertThat(q.sql())
        .contains("e.name LIKE :p0")
        .contains(
            "EXISTS (SELECT 1 FROM experiment_tags et WHERE et.tenant_id = :tenant AND"
                + " et.experiment_id = e.experiment_id AND et.tag_key = :p1 AND et.tag_value ="
                + " :p2)")
        .contains("e.creation_time > :p3");
    assertThat(q.params())
        .contains(entry("p0", "abc%"), entry("p1", "owner"), entry("p2", "ann"), entry("p3", 5L));
    assertThat(compile("attribute.name ILIKE 'X'").sql()).contains("LOWER(e.name) LIKE LOWER(:p0)");
    assertThat(compile("tag.`a.b` != 'x'").params()).containsValue("a.b");
    assertThat(compile("tags.a IS NULL").sql()).contains("NOT EXISTS (");
    assertThat(compile("last_update_time <= 10.5").params()).containsValue(10.5);
    RunSearchTest.assertOnlyWhitelistedSql(
        compile("name = 'x''; DROP TABLE experiments; --' AND tags.`k'--` LIKE '%'", "name DESC"));
  }

  @Test
  void invalid() {
    String[][] cases = {
      {"metrics.m > 1", "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')"},
      {"attributes.name = 'x'", "Invalid entity type 'attributes'"},
      {"experiment_id = '1'", "Invalid attribute key 'experiment_id' specified. Valid keys are '{'name', 'creation_time', 'last_update_time'}'"},
      {"artifact_location = 'x'", "Invalid attribute key 'artifact_location'"},
      {"name > 'x'", "Invalid comparator for string attribute: >"},
      {"name IN ('x')", "Invalid comparator for string attribute: IN"},
      {"creation_time LIKE '1'", "Invalid comparator for numeric attribute: LIKE"},
      {"tags.t > 'x'", "Invalid comparator for tag: >"},
      {"name = 5", "Expected a quoted string value for attributes. Got value 5"},
      {"creation_time = 'x'", "Expected numeric value type for numeric attribute: creation_time. Found 'x'"},
      {"tags.t = 5", "Expected a quoted string value for tag"},
      {"name = 'a' OR name = 'b'", "Invalid clause(s) in filter string"},
    };
    SoftAssertions soft = new SoftAssertions();
    for (String[] c : cases) {
      soft.assertThatThrownBy(() -> compile(c[0]))
          .as(c[0])
          .isInstanceOf(MlflowError.class)
          .hasMessageContaining(c[1])
          .extracting(e -> ((MlflowError) e).code())
          .isEqualTo(ErrorCode.INVALID_PARAMETER_VALUE);
    }
    String[][] orders = {
      {"tags.x", "Invalid order_by entity: tag"},
      {"status", "Invalid attribute key 'status' specified. Valid keys are '{'name', 'experiment_id', 'creation_time', 'last_update_time'}'"},
      {"name sideways", "Invalid ordering key in order_by clause 'name sideways'."},
      {"metrics.m", "Invalid entity type 'metrics'"},
    };
    for (String[] c : orders) {
      soft.assertThatThrownBy(() -> compile(null, c[0]))
          .as(c[0])
          .isInstanceOf(MlflowError.class)
          .hasMessageContaining(c[1]);
    }
    soft.assertAll();
  }
}
