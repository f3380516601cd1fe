package io.atrium.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.atrium.http.Json;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Printing answers: aligned tables and "Key: value" blocks for people, the server's JSON for scripts. */
final class Output {
  private Output() {}

  static void json(PrintWriter out, JsonNode node) {
    try {
      out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot print JSON", e);
    }
  }

  /** Columns two spaces apart, the last one unpadded; {@code empty} alone when there are no rows. */
  static void table(PrintWriter out, List<String> headers, List<List<String>> rows, String empty) {
    if (rows.isEmpty()) {
      out.println(empty);
      return;
    }
    int[] widths = new int[headers.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(headers);
    all.addAll(rows);
    for (List<String> row : all) {
      for (int i = 0; i < widths.length; i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < widths.length; i++) {
        String cell = row.get(i);
        line.append(cell);
        if (i < widths.length - 1) {
          line.append(" ".repeat(widths[i] - cell.length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** "Key:   value" lines, the values aligned. */
  static void details(PrintWriter out, List<List<String>> pairs) {
    int width = pairs.stream().mapToInt(p -> p.get(0).length()).max().orElse(0) + 1;
    for (List<String> p : pairs) {
      String key = p.get(0) + ":";
      out.println(key + " ".repeat(width - key.length() + 1) + p.get(1));
    }
  }

  /** A field as text for a table; "-" when absent. Control characters are replaced (see {@link #safe}). */
  static String text(JsonNode node) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      return "-";
    }
    return safe(node.isValueNode() ? node.asText() : node.toString());
  }

  /** An epoch-milliseconds field as an ISO instant to the second (UTC); "-" when absent. */
  static String time(JsonNode node) {
    if (node == null || !node.canConvertToLong()) {
      return text(node);
    }
    return Instant.ofEpochMilli(node.asLong()).truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /**
   * Replaces control characters: audit resources and names can hold text a client sent, and an
   * escape sequence printed raw would drive the reader's terminal.
   */
  static String safe(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> {
      if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
        b.append(String.format("\\u%04x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }

  /** A body shortened for an error message. */
  static String clip(String s) {
    String one = safe(s.strip());
    return one.length() <= 200 ? one : one.substring(0, 200) + "...";
  }
}
