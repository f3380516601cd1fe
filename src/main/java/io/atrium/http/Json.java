package io.atrium.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializable;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.TypeSerializer;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.atrium.common.MlflowError;
import io.javalin.http.ContentType;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reading request bodies the way MLflow's server does, and refusing what it must not accept.
 *
 * <p>Bodies are snake_case JSON. Unknown fields are ignored (newer clients send more), duplicate keys
 * and nesting deeper than 64 are refused, and non-JSON content types on a body-carrying request are
 * refused outright: a browser can send text/plain or a form cross-origin without a preflight
 * (CVE-2023-43472 was exactly that CSRF). GET requests carry their fields as query parameters.
 */
public final class Json {
  public static final ObjectMapper MAPPER = mapper();
  private static final ObjectWriter WRITER = MAPPER.writer().without(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
  private static final int MAX_DEPTH = 64;
  private static final String RESPONSE_ATTRIBUTE = "atrium.response";

  private Json() {}

  private static ObjectMapper mapper() {
    // Jackson's default buffer pool is per thread; every request here runs on a new virtual thread, so
    // each parse and each answer allocated fresh buffers (7% of the server's allocation under load).
    // A shared pool hands the same buffers from request to request.
    JsonFactory factory = JsonFactory.builder().recyclerPool(JsonRecyclerPools.newConcurrentDequePool()).build();
    JsonMapper m =
        JsonMapper.builder(factory)
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();
    m.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).maxNumberLength(400).build());
    return m;
  }

  /**
   * Sets a handler's JSON answer. It is written once the edge has finished its own steps (the audit
   * entry of a mutation), so a failure there still answers with an error, not with this body; and it
   * is then streamed to the client, not first copied into a String, a byte array and a 32 KiB copy
   * buffer as Javalin's {@code ctx.json} does.
   */
  public static void write(Context ctx, Object body) {
    ctx.attribute(RESPONSE_ATTRIBUTE, requireNonNull(body));
  }

  /** Writes a JSON value to a generator; see {@link #streamed}. */
  @FunctionalInterface
  public interface Writer {
    void write(JsonGenerator g, SerializerProvider p) throws IOException;
  }

  /**
   * A value of an answer body that {@code writer} writes straight to the response's generator, for
   * the large answers (a page of runs, a metric's history): a map per run, metric, param and tag
   * for Jackson to walk cost more than the queries, 35 % of Atrium's CPU for a page of 100 runs
   * and a third of it for get-history-bulk-interval, most of that in looking up a serializer for
   * every value. It can sit anywhere in a body built of maps and lists.
   */
  public static Object streamed(Writer writer) {
    requireNonNull(writer);
    return new JsonSerializable.Base() {
      @Override
      public void serialize(JsonGenerator g, SerializerProvider p) throws IOException {
        writer.write(g, p);
      }

      @Override
      public void serializeWithType(JsonGenerator g, SerializerProvider p, TypeSerializer t) throws IOException {
        writer.write(g, p);
      }
    };
  }

  /** Writes the answer {@link #write} set, if any; called by the edge when the request succeeded. */
  static void flush(Context ctx) {
    Object body = ctx.attribute(RESPONSE_ATTRIBUTE);
    if (body != null) {
      ctx.attribute(RESPONSE_ATTRIBUTE, null);
      send(ctx, body);
    }
  }

  /** Writes {@code body} now, dropping any answer a handler set (an error answer replaces it). */
  static void send(Context ctx, Object body) {
    ctx.attribute(RESPONSE_ATTRIBUTE, null);
    ctx.contentType(ContentType.APPLICATION_JSON);
    try {
      WRITER.writeValue(ctx.outputStream(), body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the request (body, or query string for GET) as {@code type}. */
  public static <T> T read(Context ctx, Class<T> type) {
    JsonNode node = readTree(ctx);
    try {
      return MAPPER.treeToValue(node, type);
    } catch (IOException | IllegalArgumentException e) {
      Throwable cause = e instanceof IllegalArgumentException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof JsonMappingException jm) {
        throw MlflowError.invalid(describeMapping(jm));
      }
      throw MlflowError.invalid("Invalid request: " + describe(e));
    }
  }

  /** The request as a JSON tree: the body for requests with one, the query parameters otherwise. */
  public static JsonNode readTree(Context ctx) {
    Object cached = ctx.attribute("atrium.json-body");
    if (cached instanceof JsonNode n) {
      return n;
    }
    JsonNode node = ctx.method() == HandlerType.GET || ctx.method() == HandlerType.DELETE && isBlankBody(ctx)
        ? fromQuery(ctx.queryParamMap())
        : fromBody(ctx);
    ctx.attribute("atrium.json-body", node);
    return node;
  }

  private static boolean isBlankBody(Context ctx) {
    return ctx.contentLength() <= 0 && ctx.header("Transfer-Encoding") == null;
  }

  private static JsonNode fromQuery(Map<String, List<String>> query) {
    ObjectNode o = MAPPER.createObjectNode();
    query.forEach(
        (k, vs) -> {
          if (vs.size() == 1) {
            o.put(k, vs.get(0));
          } else {
            ArrayNode a = o.putArray(k);
            vs.forEach(a::add);
          }
        });
    return o;
  }

  /** {@code application/json}, parameters (charset) aside. */
  static boolean isJsonMediaType(String contentType) {
    return contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT).equals("application/json");
  }

  private static JsonNode fromBody(Context ctx) {
    String contentType = ctx.contentType();
    // The media type exactly, parameters (charset) aside: a prefix test would let "application/jsonp"
    // or "application/json-seq" through, which a browser may also send without a preflight.
    if (contentType == null || !isJsonMediaType(contentType)) {
      throw new UnsupportedMediaType();
    }
    try (InputStream in = ctx.bodyInputStream()) {
      JsonNode n = MAPPER.readTree(in);
      if (n == null || n.isMissingNode()) {
        return MAPPER.createObjectNode();
      }
      if (!n.isObject()) {
        throw MlflowError.badRequest("Request body must be a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw MlflowError.badRequest("Malformed JSON: " + describe(e));
    }
  }

  /**
   * A field of the wrong type, in MLflow's words and the request's field names; Jackson's own message
   * names Java classes and tokens, which are no business of the client's.
   */
  private static String describeMapping(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        path.append(path.isEmpty() ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        path.append('[').append(r.getIndex()).append(']');
      }
    }
    String expected = "";
    if (e instanceof MismatchedInputException mi && mi.getTargetType() != null) {
      expected = " Expected " + kindOf(mi.getTargetType()) + ".";
    }
    return "Invalid value for parameter '" + (path.isEmpty() ? "(request)" : path) + "' supplied." + expected
        + " See the API docs for more information about request parameters.";
  }

  private static String kindOf(Class<?> type) {
    if (type == String.class) {
      return "a string";
    } else if (type == Long.class || type == long.class || type == Integer.class || type == int.class) {
      return "an integer";
    } else if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
      return "a number";
    } else if (type == Boolean.class || type == boolean.class) {
      return "a boolean";
    } else if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "a list";
    } else if (type.isEnum()) {
      return "one of " + java.util.Arrays.toString(type.getEnumConstants());
    }
    return "an object";
  }

  private static String describe(Exception e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    // Jackson appends a source location that would echo request bytes back; keep the first line only.
    int nl = m.indexOf('\n');
    m = nl > 0 ? m.substring(0, nl) : m;
    int at = m.indexOf(" at [Source");
    m = at > 0 ? m.substring(0, at) : m;
    return m.length() > 300 ? m.substring(0, 300) + "..." : m;
  }

  /** A body-carrying request whose content type is not JSON; answered 415. */
  public static final class UnsupportedMediaType extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnsupportedMediaType() {
      super("Content-Type must be application/json", null, false, false);
    }
  }
}
