/** Stable machine codes for the embedded proxy's errors. */
export type ProxyErrorCode =
  /** The listen address could not be bound (in use, not permitted, no such interface). */
  | 'SLUICE_PROXY_LISTEN'
  /** Another service already listens on that address. */
  | 'SLUICE_PROXY_LISTEN_CONFLICT'
  /** The proxy was closed; it carries no more services. */
  | 'SLUICE_PROXY_CLOSED'
  /** A TLS certificate or key could not be read, or the two do not form a pair. */
  | 'SLUICE_PROXY_TLS'
  /** A proxy worker process failed to start, answer or apply a change. */
  | 'SLUICE_PROXY_WORKER';

/** An error from the embedded proxy: `code` for programs, a sentence saying what to do for people. */
export class ProxyError extends Error {
  readonly code: ProxyErrorCode;
  /** The service the failed call was about, when there is one. */
  readonly service: string | undefined;

  constructor(code: ProxyErrorCode, message: string, options: { service?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProxyError';
    this.code = code;
    this.service = options.service;
  }
}
