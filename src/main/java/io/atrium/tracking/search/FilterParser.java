package io.atrium.tracking.search;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.atrium.tracking.search.FilterLexer.Kind;
import io.atrium.tracking.search.FilterLexer.Part;
import io.atrium.tracking.search.FilterLexer.Token;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses MLflow's search filter grammar: comparisons joined by AND. Only syntax is checked here;
 * which entities, keys, comparators and value types are allowed is decided by the compilers
 * ({@link RunSearch}, {@link ExperimentSearch}), which differ.
 *
 * <pre>
 * filter     := clause (AND clause)*
 * clause     := identifier comparator value | identifier IS [NOT] NULL
 * identifier := [entity '.'] key      (entity/key may be `backticked`; key may be "quoted")
 * comparator := = | != | &lt;&gt; | == | &lt; | &lt;= | &gt; | &gt;= | LIKE | ILIKE | IN | NOT IN
 * value      := 'string' | "string" | number | '(' string (',' string)* ')'
 * </pre>
 */
final class FilterParser {
  private final String filter;
  private final List<Token> tokens;
  private int i;

  private FilterParser(String filter) {
    this.filter = requireNonNull(filter);
    this.tokens = FilterLexer.lex(filter, "Error on parsing filter '" + filter + "'");
  }

  /** Parses a filter; null or blank means "no filter" (as in MLflow). */
  static List<Clause> parse(String filter) {
    if (filter == null || filter.isBlank()) {
      return List.of();
    }
    return new FilterParser(filter).clauses();
  }

  /** An identifier split into entity prefix (null when absent) and key. */
  record Ident(String entity, String key) {}

  /**
   * Splits an IDENT token as MLflow does ({@code identifier.split(".", 1)}): the first part is the
   * entity, the rest the key. A key of several unquoted parts is rejoined with dots
   * ({@code metrics.a.b} has key {@code a.b}); a quoted part must be the whole key.
   */
  static Ident splitIdentifier(Token t, MlflowError onError) {
    List<Part> parts = t.parts();
    if (parts.size() == 1) {
      return new Ident(null, parts.get(0).text());
    }
    String entity = parts.get(0).text();
    if (parts.size() == 2) {
      return new Ident(entity, parts.get(1).text());
    }
    StringBuilder key = new StringBuilder();
    for (int p = 1; p < parts.size(); p++) {
      if (parts.get(p).quoted()) {
        throw onError;
      }
      if (p > 1) {
        key.append('.');
      }
      key.append(parts.get(p).text());
    }
    return new Ident(entity, key.toString());
  }

  private Token peek() {
    return tokens.get(i);
  }

  private Token next() {
    Token t = tokens.get(i);
    if (t.kind() != Kind.EOF) {
      i++;
    }
    return t;
  }

  private String rest(Token from) {
    return filter.substring(from.start()).strip();
  }

  private List<Clause> clauses() {
    List<Clause> out = new ArrayList<>();
    while (true) {
      out.add(clause());
      Token t = peek();
      if (t.kind() == Kind.EOF) {
        return out;
      }
      if (!t.isKeyword("AND")) {
        // OR, parentheses around clauses, a stray token: MLflow supports only AND-ed comparisons.
        throw MlflowError.invalid("Invalid clause(s) in filter string: '" + rest(t) + "'");
      }
      next();
      if (peek().kind() == Kind.EOF) {
        throw MlflowError.invalid("Invalid clause(s) in filter string: '" + rest(t) + "'");
      }
    }
  }

  private Clause clause() {
    Token id = next();
    Ident ident;
    if (id.kind() == Kind.IDENT && !isReserved(id)) {
      ident =
          splitIdentifier(
              id,
              MlflowError.invalid(
                  "Invalid identifier '"
                      + id.raw()
                      + "'. Columns should be specified as 'attribute.<key>', 'metric.<key>', "
                      + "'tag.<key>', 'dataset.<key>', or 'param.'."));
    } else if (id.kind() == Kind.STRING && id.quote() == '"') {
      // MLflow (sqlparse) reads "x" as an identifier: a bare quoted attribute such as "Run Name".
      ident = new Ident(null, id.value());
    } else {
      throw MlflowError.invalid(
          "Invalid comparison clause. Expected 'Identifier' found '" + id.raw() + "'");
    }

    String comparator = comparator();
    Value value;
    if (comparator.equals("IS NULL") || comparator.equals("IS NOT NULL")) {
      value = new Value.None();
    } else {
      value = value();
    }
    return new Clause(ident.entity(), ident.key(), comparator, value, id.raw());
  }

  /** Keywords cannot start a clause; "AND AND x = 1" should not read AND as an attribute. */
  private static boolean isReserved(Token t) {
    for (String k : List.of("AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE")) {
      if (t.isKeyword(k)) {
        return true;
      }
    }
    return false;
  }

  private String comparator() {
    Token t = next();
    if (t.kind() == Kind.OPERATOR) {
      return t.raw();
    }
    if (t.isKeyword("LIKE") || t.isKeyword("ILIKE") || t.isKeyword("IN")) {
      return t.upperWord();
    }
    if (t.isKeyword("NOT")) {
      Token n = next();
      if (n.kind() == Kind.IDENT && n.parts().size() == 1 && !n.parts().get(0).quoted()) {
        // NOT IN is valid; NOT LIKE etc. parse so they can be rejected as invalid comparators.
        return "NOT " + n.upperWord();
      }
      throw expectedComparison(t);
    }
    if (t.isKeyword("IS")) {
      Token n = next();
      if (n.isKeyword("NULL")) {
        return "IS NULL";
      }
      if (n.isKeyword("NOT") && next().isKeyword("NULL")) {
        return "IS NOT NULL";
      }
      throw expectedComparison(t);
    }
    throw expectedComparison(t);
  }

  private static MlflowError expectedComparison(Token t) {
    return MlflowError.invalid(
        "Invalid comparison clause. Expected comparison found '" + t.raw() + "'");
  }

  private Value value() {
    Token t = next();
    switch (t.kind()) {
      case STRING:
        return new Value.Str(t.value(), t.raw());
      case NUMBER:
        try {
          return new Value.Num(new BigDecimal(t.raw()), t.raw());
        } catch (NumberFormatException e) {
          throw MlflowError.invalid("Error on parsing filter '" + filter + "'");
        }
      case LPAREN:
        return list(t);
      default:
        throw MlflowError.invalid(
            "Invalid comparison clause. Expected value token found '" + t.raw() + "'");
    }
  }

  private Value list(Token open) {
    List<String> values = new ArrayList<>();
    if (peek().kind() == Kind.RPAREN) {
      throw MlflowError.invalid(
          "While parsing a list in the query, expected a non-empty list of string values, "
              + "but got empty list");
    }
    while (true) {
      Token v = next();
      if (v.kind() == Kind.EOF) {
        throw illFormedList();
      }
      if (v.kind() != Kind.STRING) {
        throw MlflowError.invalid(
            "While parsing a list in the query, expected string value, punctuation, or "
                + "whitespace, but got different type in list: "
                + rest(open));
      }
      values.add(v.value());
      Token sep = next();
      if (sep.kind() == Kind.RPAREN) {
        String raw = filter.substring(open.start(), sep.start() + 1);
        return new Value.StrList(values, raw);
      }
      if (sep.kind() != Kind.COMMA) {
        throw illFormedList();
      }
    }
  }

  private static MlflowError illFormedList() {
    return MlflowError.invalid(
        "While parsing a list in the query, expected a non-empty list of string values, "
            + "but got ill-formed list.");
  }
}
