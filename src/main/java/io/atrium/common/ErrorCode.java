package io.atrium.common;

/** MLflow's error codes (databricks.ErrorCode in MLflow's protos) with the HTTP status MLflow maps each to. */
public enum ErrorCode {
  INVALID_PARAMETER_VALUE(400),
  BAD_REQUEST(400),
  MALFORMED_REQUEST(400),
  INVALID_STATE(400),
  RESOURCE_ALREADY_EXISTS(400),
  RESOURCE_DOES_NOT_EXIST(404),
  ENDPOINT_NOT_FOUND(404),
  UNAUTHENTICATED(401),
  PERMISSION_DENIED(403),
  RESOURCE_EXHAUSTED(429),
  REQUEST_LIMIT_EXCEEDED(429),
  NOT_IMPLEMENTED(501),
  INTERNAL_ERROR(500),
  TEMPORARILY_UNAVAILABLE(503);

  private final int httpStatus;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
