package io.atrium.artifacts;

import io.atrium.common.MlflowError;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A normalized artifact path relative to a tenant's artifact root: segments joined by {@code /},
 * no empty, {@code .} or {@code ..} segment, never absolute. The empty path is the root itself.
 *
 * <p>Every way into this type validates: the path-traversal CVEs of MLflow's artifact handlers
 * (CVE-2023-1177, -2356, -6831, CVE-2024-1483, ...) all came from a path that was checked in one
 * form and used in another (decoded twice, checked before normalization, backslashes meaning a
 * separator on one side only). Here a path is decoded at most once, by the caller, and then
 * refused outright if anything in it could mean something else to a file system, an object store or
 * a second decoder: {@code ..}, {@code .}, a leading {@code /}, backslashes, control characters
 * (NUL included), {@code ?} and {@code #}, a leftover percent-escape (double encoding), a Windows
 * drive. Nothing is "cleaned up" into a different path.
 */
public record ArtifactPath(String value) {
  /** Longest path in UTF-8 bytes: keeps every key well inside S3's 1024 and PostgreSQL's index limits. */
  public static final int MAX_BYTES = 900;

  private static final int MAX_SEGMENT_BYTES = 255;
  private static final Pattern PERCENT_ESCAPE = Pattern.compile("%[0-9A-Fa-f]{2}");
  private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");
  public static final ArtifactPath ROOT = new ArtifactPath("");

  /** Parses an already decoded path; throws 400 INVALID_PARAMETER_VALUE for anything unsafe. */
  public static ArtifactPath parse(String path) {
    if (path == null || path.isEmpty()) {
      return ROOT;
    }
    if (path.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw invalid("is longer than " + MAX_BYTES + " bytes");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw invalid("contains a control character");
      }
      if (c == '\\') {
        throw invalid("contains a backslash");
      }
      if (c == '?' || c == '#') {
        throw invalid("contains '" + c + "'");
      }
    }
    if (PERCENT_ESCAPE.matcher(path).find()) {
      throw invalid("contains a percent-escape after decoding (double encoding)");
    }
    if (path.startsWith("/")) {
      throw invalid("is absolute");
    }
    List<String> segments = new ArrayList<>();
    for (String s : path.split("/", -1)) {
      if (s.isEmpty()) {
        continue; // "a//b" and a trailing "/" name the same thing as "a/b"
      }
      if (s.equals(".") || s.equals("..")) {
        throw invalid("contains a '" + s + "' segment");
      }
      if (s.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
        throw invalid("has a segment longer than " + MAX_SEGMENT_BYTES + " bytes");
      }
      segments.add(s);
    }
    if (!segments.isEmpty() && DRIVE.matcher(segments.get(0)).matches()) {
      throw invalid("starts with a drive letter");
    }
    return new ArtifactPath(String.join("/", segments));
  }

  /**
   * Percent-decodes a raw URL path exactly once ({@code +} stays a plus, as in any URL path) and
   * parses it. Malformed escapes and invalid UTF-8 are refused, not replaced.
   */
  public static ArtifactPath fromRawUrlPath(String raw) {
    return parse(decodeOnce(raw));
  }

  static String decodeOnce(String raw) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw invalid("has a malformed percent-escape");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw invalid("has a malformed percent-escape");
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(b, 0, b.length);
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw invalid("is not valid UTF-8");
    }
  }

  private static MlflowError invalid(String why) {
    // The offending path is not echoed: it may carry control characters into logs and clients.
    return MlflowError.invalid("Invalid artifact path: the path " + why);
  }

  public boolean isRoot() {
    return value.isEmpty();
  }

  public List<String> segments() {
    return isRoot() ? List.of() : List.of(value.split("/"));
  }

  /** This path with {@code child} (itself a valid relative path) appended. */
  public ArtifactPath resolve(ArtifactPath child) {
    if (child.isRoot()) {
      return this;
    }
    return isRoot() ? child : parse(value + "/" + child.value);
  }

  public ArtifactPath resolve(String child) {
    return resolve(parse(child));
  }

  /** The last segment ("" for the root). */
  public String name() {
    int i = value.lastIndexOf('/');
    return i < 0 ? value : value.substring(i + 1);
  }

  /** True when {@code other} is this path or lies below it. */
  public boolean contains(ArtifactPath other) {
    return isRoot() || other.value.equals(value) || other.value.startsWith(value + "/");
  }

  @Override
  public String toString() {
    return value;
  }
}
