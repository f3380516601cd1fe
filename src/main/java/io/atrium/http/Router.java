package io.atrium.http;

import static java.util.Objects.requireNonNull;

import io.atrium.common.MlflowError;
import io.javalin.http.HandlerType;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the route of a request: a hash lookup for literal paths, a segment-by-segment comparison for
 * the few templates with parameters, no regular expression and no allocation on the way.
 *
 * <p>Javalin's own matcher tries every registered path of the method in turn with a regular
 * expression; with each tenant route served at four paths that was several hundred regex matches
 * (and a {@link java.util.regex.Matcher} each) per request, 11% of the allocation and the largest
 * CPU item of a server answering a flood of 429s. The semantics are Javalin's, so the route table is
 * unchanged: the first route in registration order that matches wins; {@code {name}} is one
 * non-empty segment, {@code <name>} the non-empty rest of the path (slashes included, last segment
 * only); one trailing slash is ignored; literal segments are compared with the raw (still encoded)
 * path; parameter values are percent-decoded once, {@code +} kept as it is.
 *
 * <p>Paths under {@code /t/{tenant}/} are looked up by their remainder among the tenant-prefixed
 * routes, so the tenant prefix costs no template scan either; the constructor refuses a table where
 * an unprefixed path could also match a {@code /t/...} request.
 */
public final class Router {
  static final String TENANT_PREFIX = "/t/{tenant}";
  private static final String TENANT_PARAM = "tenant";

  /** A route matched to a request, with its decoded path parameters. */
  public record Match(Route route, Map<String, String> params) {}

  private final Table plain = new Table();
  private final Table prefixed = new Table();

  /** @param paths each route with every path it is served at, in registration order */
  Router(Map<Route, List<String>> paths) {
    int order = 0;
    for (var e : paths.entrySet()) {
      for (String path : e.getValue()) {
        if (path.startsWith(TENANT_PREFIX + "/")) {
          prefixed.add(order++, e.getKey(), path.substring(TENANT_PREFIX.length()));
        } else {
          Template t = Template.parse(path);
          if (t.couldMatchTenantPrefix()) {
            throw new IllegalStateException("route path " + path + " could shadow /t/{tenant}/ paths");
          }
          plain.add(order++, e.getKey(), path);
        }
      }
    }
  }

  static Router of(List<Route> routes) {
    Map<Route, List<String>> paths = new LinkedHashMap<>();
    for (Route r : routes) {
      paths.put(r, HttpServer.servedPaths(r));
    }
    return new Router(paths);
  }

  /** The methods that have at least one route. */
  List<HandlerType> methods() {
    List<HandlerType> out = new ArrayList<>(plain.byMethod.keySet());
    prefixed.byMethod.keySet().stream().filter(m -> !out.contains(m)).forEach(out::add);
    return out;
  }

  /**
   * The route for {@code method} and the raw (undecoded) request path, or empty when none matches.
   *
   * @throws MlflowError a path parameter is not valid percent-encoding
   */
  public Optional<Match> find(HandlerType method, String rawPath) {
    String path = rawPath.length() > 1 && rawPath.endsWith("/") ? rawPath.substring(0, rawPath.length() - 1) : rawPath;
    if (path.startsWith("/t/")) {
      int slash = path.indexOf('/', 3);
      if (slash > 3) {
        Optional<Match> m = prefixed.find(method, path.substring(slash));
        if (m.isPresent()) {
          Map<String, String> params = new HashMap<>(m.get().params());
          params.put(TENANT_PARAM, decode(path.substring(3, slash)));
          return Optional.of(new Match(m.get().route(), Map.copyOf(params)));
        }
      }
      return Optional.empty();
    }
    return plain.find(method, path);
  }

  /** Javalin's decoding of a path parameter: percent-escapes once, {@code +} stays a plus. */
  static String decode(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    try {
      return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw MlflowError.badRequest("Malformed percent-encoding in the request path");
    }
  }

  /** One family of paths (plain, or the remainders of tenant-prefixed ones), per method. */
  private static final class Table {
    final Map<HandlerType, Entries> byMethod = new LinkedHashMap<>();

    void add(int order, Route route, String path) {
      Entries es = byMethod.computeIfAbsent(route.method(), m -> new Entries());
      Template t = Template.parse(path);
      if (t.isLiteral()) {
        es.literals.putIfAbsent(path, new Entry(order, route, t));
      } else {
        es.templates.add(new Entry(order, route, t));
      }
    }

    Optional<Match> find(HandlerType method, String path) {
      Entries es = byMethod.get(method);
      if (es == null) {
        return Optional.empty();
      }
      Entry literal = es.literals.get(path);
      int before = literal == null ? Integer.MAX_VALUE : literal.order();
      for (Entry e : es.templates) {
        if (e.order() > before) {
          break;
        }
        Map<String, String> params = e.template().match(path);
        if (params != null) {
          return Optional.of(new Match(e.route(), params));
        }
      }
      return literal == null ? Optional.empty() : Optional.of(new Match(literal.route(), Map.of()));
    }
  }

  private static final class Entries {
    final Map<String, Entry> literals = new HashMap<>();
    final List<Entry> templates = new ArrayList<>(); // in registration order
  }

  private record Entry(int order, Route route, Template template) {}

  /**
   * A path template split into segments: literal text, {@code {name}} (one segment) or, last only,
   * {@code <name>} (the rest of the path).
   */
  record Template(String[] literals, String[] names, boolean rest) {
    static Template parse(String path) {
      requireNonNull(path);
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("route path must start with /: " + path);
      }
      String[] segs = path.substring(1).split("/", -1);
      String[] lit = new String[segs.length];
      String[] names = new String[segs.length];
      boolean rest = false;
      for (int i = 0; i < segs.length; i++) {
        String s = segs[i];
        if (s.startsWith("{") && s.endsWith("}") && s.length() > 2) {
          names[i] = s.substring(1, s.length() - 1);
        } else if (s.startsWith("<") && s.endsWith(">") && s.length() > 2) {
          if (i != segs.length - 1) {
            throw new IllegalArgumentException("a <rest> parameter must be the last segment: " + path);
          }
          names[i] = s.substring(1, s.length() - 1);
          rest = true;
        } else if (s.indexOf('{') >= 0 || s.indexOf('<') >= 0 || s.indexOf('*') >= 0) {
          throw new IllegalArgumentException("unsupported route segment '" + s + "' in " + path);
        } else {
          lit[i] = s;
        }
      }
      return new Template(lit, names, rest);
    }

    boolean isLiteral() {
      for (String n : names) {
        if (n != null) {
          return false;
        }
      }
      return true;
    }

    /** Whether a request path /t/x/... could match this template (its first segment is "t" or a parameter). */
    boolean couldMatchTenantPrefix() {
      return names[0] != null || "t".equals(literals[0]);
    }

    /** The decoded parameters when {@code path} matches, else null. */
    Map<String, String> match(String path) {
      int pos = 1; // after the leading slash
      if (!path.startsWith("/")) {
        return null;
      }
      Map<String, String> params = null;
      for (int i = 0; i < literals.length; i++) {
        boolean last = i == literals.length - 1;
        if (rest && last) {
          if (pos >= path.length()) {
            return null; // <rest> needs at least one character
          }
          return Map.copyOf(put(params, names[i], decode(path.substring(pos))));
        }
        int end = path.indexOf('/', pos);
        if (end < 0) {
          end = path.length();
        }
        if (last != (end == path.length())) {
          return null; // the path has more or fewer segments than the template
        }
        if (literals[i] != null) {
          if (end - pos != literals[i].length() || !path.startsWith(literals[i], pos)) {
            return null;
          }
        } else {
          if (end == pos) {
            return null; // {param} is one non-empty segment
          }
          params = put(params, names[i], decode(path.substring(pos, end)));
        }
        pos = end + 1;
      }
      return params == null ? Map.of() : Map.copyOf(params);
    }

    private static Map<String, String> put(Map<String, String> params, String name, String value) {
      Map<String, String> m = params == null ? new HashMap<>(4) : params;
      m.put(name, value);
      return m;
    }
  }
}
