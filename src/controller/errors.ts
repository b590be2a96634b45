/** Errors the controller raises for requests it refuses; `code` is stable for programs. */
export type ControllerErrorCode =
  | 'SLUICE_NOT_FOUND'
  | 'SLUICE_ROLLOUT_IN_PROGRESS'
  | 'SLUICE_LISTEN_IN_USE'
  | 'SLUICE_INVALID_TRANSITION'
  | 'SLUICE_ROUTER_FAILED';

export class ControllerError extends Error {
  override readonly name = 'ControllerError';
  constructor(
    readonly code: ControllerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
