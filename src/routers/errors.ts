/** Stable machine codes for router errors. */
export type RouterErrorCode =
  /** `createRouter` got a `type` no implementation exports. */
  | 'SLUICE_ROUTER_UNKNOWN_TYPE'
  /** A router's configuration or dependencies are missing or wrong. */
  | 'SLUICE_ROUTER_CONFIG'
  /** `setRoutes` got routes that no data plane could carry (bad weight, URL, listen address). */
  | 'SLUICE_ROUTES_INVALID';

/** An error from a traffic router: `code` for programs, a sentence saying what to do for people. */
export class RouterError extends Error {
  readonly code: RouterErrorCode;

  constructor(code: RouterErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RouterError';
    this.code = code;
  }
}
