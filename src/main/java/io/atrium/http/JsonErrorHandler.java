package io.atrium.http;

import io.atrium.common.ErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers on its own, before Javalin sees the request (a NUL or other illegal byte in
 * the URI, a malformed request line or header): MLflow's {@code {"error_code", "message"}} JSON like
 * every other error, not Jetty's HTML page. The message is fixed: Jetty's own text may quote the
 * offending request bytes.
 */
final class JsonErrorHandler extends ErrorHandler {
  @Override
  protected void generateResponse(
      Request request, Response response, int code, String message, Throwable cause, Callback callback) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, body(code), callback);
  }

  private static ByteBuffer body(int status) {
    ErrorCode code =
        switch (status) {
          case 404, 405 -> ErrorCode.ENDPOINT_NOT_FOUND;
          case 401 -> ErrorCode.UNAUTHENTICATED;
          case 403 -> ErrorCode.PERMISSION_DENIED;
          default -> status >= 500 ? ErrorCode.INTERNAL_ERROR : ErrorCode.BAD_REQUEST;
        };
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error_code", code.name());
    m.put("message", "Request refused by the HTTP layer: " + status + " " + HttpStatus.getMessage(status));
    try {
      return ByteBuffer.wrap(Json.MAPPER.writeValueAsString(m).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
