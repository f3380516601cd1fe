package io.atrium.common;

import static java.util.Objects.requireNonNull;

/**
 * The one exception type services throw for an answer the client should see. The HTTP edge maps it
 * to {@code {"error_code": ..., "message": ...}} with the code's status; nothing else about the
 * failure (no stack trace, no SQL) ever reaches the client.
 */
public final class MlflowError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final long retryAfterSeconds;

  public MlflowError(ErrorCode code, String message) {
    this(code, message, 0);
  }

  private MlflowError(ErrorCode code, String message, long retryAfterSeconds) {
    super(requireNonNull(message), null, false, false);
    this.code = requireNonNull(code);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Seconds the client should wait before retrying (sent as Retry-After); 0 when not applicable. */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public ErrorCode code() {
    return code;
  }

  public int httpStatus() {
    return code.httpStatus();
  }

  public static MlflowError invalid(String message) {
    return new MlflowError(ErrorCode.INVALID_PARAMETER_VALUE, message);
  }

  public static MlflowError badRequest(String message) {
    return new MlflowError(ErrorCode.BAD_REQUEST, message);
  }

  public static MlflowError notFound(String message) {
    return new MlflowError(ErrorCode.RESOURCE_DOES_NOT_EXIST, message);
  }

  public static MlflowError alreadyExists(String message) {
    return new MlflowError(ErrorCode.RESOURCE_ALREADY_EXISTS, message);
  }

  public static MlflowError invalidState(String message) {
    return new MlflowError(ErrorCode.INVALID_STATE, message);
  }

  public static MlflowError unauthenticated() {
    return new MlflowError(
        ErrorCode.UNAUTHENTICATED,
        "Missing or invalid credentials: send 'Authorization: Bearer <token>' or Basic auth with the token as password");
  }

  public static MlflowError permissionDenied(String message) {
    return new MlflowError(ErrorCode.PERMISSION_DENIED, message);
  }

  public static MlflowError exhausted(String message) {
    return new MlflowError(ErrorCode.RESOURCE_EXHAUSTED, message);
  }

  /** Over a rate, concurrency or quota limit: 429 with a Retry-After of at least one second. */
  public static MlflowError throttled(String message, long retryAfterSeconds) {
    return new MlflowError(ErrorCode.RESOURCE_EXHAUSTED, message, Math.max(1, retryAfterSeconds));
  }

  public static MlflowError internal(String message) {
    return new MlflowError(ErrorCode.INTERNAL_ERROR, message);
  }
}
