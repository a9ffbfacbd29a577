import { ErrorKind, FieldError, RpcErrorBody } from '@taskflow/contracts';

/**
 * An expected failure with a stable code (`TASK.NOT_FOUND`). Domain and application code throw these;
 * each transport's filter turns them into its own error shape. Never an HttpException.
 */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly fieldErrors?: FieldError[],
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toRpcBody(): RpcErrorBody {
    return {
      kind: this.kind,
      code: this.code,
      message: this.message,
      fieldErrors: this.fieldErrors,
      details: this.details,
    };
  }

  static fromRpcBody(body: RpcErrorBody): AppError {
    return new AppError(body.kind, body.code, body.message, body.fieldErrors, body.details);
  }
}

export const HTTP_STATUS_BY_KIND: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  precondition_required: 428,
  rate_limited: 429,
  unavailable: 503,
};
