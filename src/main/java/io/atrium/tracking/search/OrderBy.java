package io.atrium.tracking.search;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.atrium.tracking.search.FilterLexer.Kind;
import io.atrium.tracking.search.FilterLexer.Token;
import java.util.List;

/**
 * One parsed order_by entry: {@code <identifier> [ASC|DESC]}, ascending by default.
 *
 * @param entity the prefix before the first dot, or null for a bare attribute name
 */
record OrderBy(String entity, String key, boolean ascending, String text) {
  OrderBy {
    requireNonNull(key);
    requireNonNull(text);
  }

  static OrderBy parse(String orderBy) {
    requireNonNull(orderBy);
    MlflowError unparsable =
        MlflowError.invalid("Invalid order_by clause '" + orderBy + "'. Could not be parsed.");
    List<Token> tokens = FilterLexer.lex(orderBy, "Invalid order_by clause '" + orderBy + "'. Could not be parsed.");
    Token id = tokens.get(0);
    FilterParser.Ident ident;
    if (id.kind() == Kind.IDENT) {
      ident = FilterParser.splitIdentifier(id, unparsable);
    } else if (id.kind() == Kind.STRING && id.quote() == '"') {
      ident = new FilterParser.Ident(null, id.value());
    } else {
      throw unparsable;
    }
    boolean ascending = true;
    Token dir = tokens.get(1);
    if (dir.kind() != Kind.EOF) {
      if (dir.kind() != Kind.IDENT || tokens.get(2).kind() != Kind.EOF) {
        throw unparsable;
      }
      if (dir.isKeyword("DESC")) {
        ascending = false;
      } else if (!dir.isKeyword("ASC")) {
        throw MlflowError.invalid("Invalid ordering key in order_by clause '" + orderBy + "'.");
      }
    }
    return new OrderBy(ident.entity(), ident.key(), ascending, orderBy);
  }

  String direction() {
    return ascending ? "ASC" : "DESC";
  }
}
