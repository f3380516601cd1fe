package io.atrium.tracking.search;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits a search filter or order_by string into tokens. Hand-written rather than a SQL parser
 * because the language is tiny and every accepted shape must be one we deliberately compile.
 */
final class FilterLexer {
  enum Kind {
    IDENT,
    STRING,
    NUMBER,
    OPERATOR,
    LPAREN,
    RPAREN,
    COMMA,
    EOF
  }

  /** One dot-separated piece of an identifier; {@code quoted} when written in backticks/quotes. */
  record Part(String text, boolean quoted) {
    Part {
      requireNonNull(text);
    }
  }

  /**
   * A token. {@code raw} is the source text (for error messages), {@code value} the unquoted
   * string for STRING tokens, {@code quote} the quote character of a STRING, {@code parts} the
   * pieces of an IDENT.
   */
  record Token(Kind kind, String raw, String value, char quote, List<Part> parts, int start) {
    Token {
      requireNonNull(kind);
      requireNonNull(raw);
      requireNonNull(value);
      parts = List.copyOf(parts);
    }

    /** True for an unquoted single word equal (ignoring case) to {@code keyword}. */
    boolean isKeyword(String keyword) {
      return kind == Kind.IDENT
          && parts.size() == 1
          && !parts.get(0).quoted()
          && parts.get(0).text().equalsIgnoreCase(keyword);
    }

    String upperWord() {
      return raw.toUpperCase(Locale.ROOT);
    }
  }

  private final String src;
  private final String errorMessage;
  private int pos;

  private FilterLexer(String src, String errorMessage) {
    this.src = requireNonNull(src);
    this.errorMessage = requireNonNull(errorMessage);
  }

  /** Tokenizes {@code src}; any lexical error throws {@code MlflowError.invalid(errorMessage)}. */
  static List<Token> lex(String src, String errorMessage) {
    return new FilterLexer(src, errorMessage).run();
  }

  private MlflowError error() {
    return MlflowError.invalid(errorMessage);
  }

  private List<Token> run() {
    List<Token> out = new ArrayList<>();
    while (true) {
      while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
        pos++;
      }
      if (pos >= src.length()) {
        out.add(new Token(Kind.EOF, "", "", '\0', List.of(), pos));
        return out;
      }
      int start = pos;
      char c = src.charAt(pos);
      if (c == '(') {
        pos++;
        out.add(simple(Kind.LPAREN, start));
      } else if (c == ')') {
        pos++;
        out.add(simple(Kind.RPAREN, start));
      } else if (c == ',') {
        pos++;
        out.add(simple(Kind.COMMA, start));
      } else if (c == '\'' || c == '"') {
        String value = readQuoted(c);
        out.add(new Token(Kind.STRING, src.substring(start, pos), value, c, List.of(), start));
      } else if (c == '`' || isIdentStart(c)) {
        out.add(readIdentifier(start));
      } else if (isNumberStart(c)) {
        out.add(readNumber(start));
      } else if ("=!<>".indexOf(c) >= 0) {
        out.add(readOperator(start));
      } else {
        throw error();
      }
    }
  }

  private Token simple(Kind kind, int start) {
    return new Token(kind, src.substring(start, pos), "", '\0', List.of(), start);
  }

  private static boolean isIdentStart(char c) {
    return Character.isLetter(c) || c == '_';
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_';
  }

  private boolean isDigitAt(int i) {
    return i < src.length() && src.charAt(i) >= '0' && src.charAt(i) <= '9';
  }

  private boolean isNumberStart(char c) {
    if (c >= '0' && c <= '9') {
      return true;
    }
    if (c == '.') {
      return isDigitAt(pos + 1);
    }
    if (c == '-' || c == '+') {
      return isDigitAt(pos + 1) || (pos + 1 < src.length() && src.charAt(pos + 1) == '.' && isDigitAt(pos + 2));
    }
    return false;
  }

  /**
   * Reads a quoted string starting at the opening quote. A doubled quote or a backslash-escaped
   * quote stands for the quote itself; every other backslash is kept verbatim so LIKE escapes such
   * as {@code \_} reach the database unchanged.
   */
  private String readQuoted(char quote) {
    StringBuilder sb = new StringBuilder();
    pos++; // opening quote
    while (pos < src.length()) {
      char c = src.charAt(pos);
      if (c == '\\' && pos + 1 < src.length()) {
        char n = src.charAt(pos + 1);
        if (n == quote) {
          sb.append(quote);
        } else {
          sb.append(c).append(n);
        }
        pos += 2;
      } else if (c == quote) {
        if (pos + 1 < src.length() && src.charAt(pos + 1) == quote) {
          sb.append(quote);
          pos += 2;
        } else {
          pos++;
          return sb.toString();
        }
      } else {
        sb.append(c);
        pos++;
      }
    }
    throw error(); // unterminated
  }

  private Token readIdentifier(int start) {
    List<Part> parts = new ArrayList<>();
    while (true) {
      if (pos >= src.length()) {
        throw error(); // identifier ending in '.'
      }
      char c = src.charAt(pos);
      if (c == '`') {
        int close = src.indexOf('`', pos + 1);
        if (close < 0 || close == pos + 1) {
          throw error();
        }
        parts.add(new Part(src.substring(pos + 1, close), true));
        pos = close + 1;
      } else if ((c == '"' || c == '\'') && !parts.isEmpty()) {
        // A quoted key after the entity prefix, e.g. tags."mlflow.runName".
        String value = readQuoted(c);
        if (value.isEmpty()) {
          throw error();
        }
        parts.add(new Part(value, true));
      } else if (isWordChar(c)) {
        int s = pos;
        while (pos < src.length() && isWordChar(src.charAt(pos))) {
          pos++;
        }
        parts.add(new Part(src.substring(s, pos), false));
      } else {
        throw error();
      }
      if (pos < src.length() && src.charAt(pos) == '.') {
        pos++;
        continue;
      }
      break;
    }
    return new Token(Kind.IDENT, src.substring(start, pos), "", '\0', parts, start);
  }

  private Token readNumber(int start) {
    if (src.charAt(pos) == '-' || src.charAt(pos) == '+') {
      pos++;
    }
    while (isDigitAt(pos)) {
      pos++;
    }
    if (pos < src.length() && src.charAt(pos) == '.') {
      pos++;
      while (isDigitAt(pos)) {
        pos++;
      }
    }
    if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
      int save = pos;
      pos++;
      if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
        pos++;
      }
      if (!isDigitAt(pos)) {
        pos = save;
        throw error();
      }
      while (isDigitAt(pos)) {
        pos++;
      }
    }
    // "1abc" or "1.2.3" is not a number followed by something else; it is garbage.
    if (pos < src.length() && (isWordChar(src.charAt(pos)) || src.charAt(pos) == '.')) {
      throw error();
    }
    String raw = src.substring(start, pos);
    return new Token(Kind.NUMBER, raw, raw, '\0', List.of(), start);
  }

  private Token readOperator(int start) {
    char c = src.charAt(pos);
    char n = pos + 1 < src.length() ? src.charAt(pos + 1) : '\0';
    if ((c == '!' || c == '<' || c == '>' || c == '=') && n == '=') {
      pos += 2;
    } else if (c == '<' && n == '>') {
      pos += 2;
    } else if (c == '!') {
      throw error();
    } else {
      pos++;
    }
    String raw = src.substring(start, pos);
    return new Token(Kind.OPERATOR, raw, raw, '\0', List.of(), start);
  }
}
