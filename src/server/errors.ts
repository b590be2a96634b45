import { ControllerError, type ControllerErrorCode } from '../controller/errors.js';
import { StoreError } from '../store/errors.js';

/** An error the API answers with: HTTP status, a stable code, a sentence saying what to do. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const CONTROLLER_STATUS: Record<ControllerErrorCode, number> = {
  SLUICE_NOT_FOUND: 404,
  SLUICE_ROLLOUT_IN_PROGRESS: 409,
  SLUICE_LISTEN_IN_USE: 409,
  SLUICE_INVALID_TRANSITION: 409,
  SLUICE_ROUTER_FAILED: 502,
};

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ControllerError) return new ApiError(CONTROLLER_STATUS[err.code], err.code, err.message, undefined, { cause: err });
  if (err instanceof StoreError) {
    const status = err.code === 'SLUICE_STORE_CONFLICT' ? 409 : 500;
    return new ApiError(status, err.code, err.message, undefined, { cause: err });
  }
  const fe = err as { statusCode?: number; code?: string; message?: string };
  if (typeof fe.statusCode === 'number' && fe.statusCode < 500) {
    const code = fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'SLUICE_UNSUPPORTED_MEDIA_TYPE' : fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'SLUICE_BODY_TOO_LARGE' : 'SLUICE_BAD_REQUEST';
    const hint = code === 'SLUICE_UNSUPPORTED_MEDIA_TYPE' ? '; send Content-Type: application/json or application/yaml' : '';
    return new ApiError(fe.statusCode, code, `${fe.message ?? 'bad request'}${hint}`, undefined, { cause: err });
  }
  return new ApiError(500, 'SLUICE_INTERNAL', `internal error: ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
}
