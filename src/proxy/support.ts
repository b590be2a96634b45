import { ProxyError } from './errors.js';

/** Structured logger the proxy reports to (pino-compatible). Nothing is logged per request. */
export interface ProxyLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: ProxyLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const ADVICE: Record<string, string> = {
  EADDRINUSE: 'the address is already in use; stop whatever listens there or choose another listen address',
  EACCES: 'permission denied; ports below 1024 need privileges, choose a higher port',
  EADDRNOTAVAIL: 'no network interface on this machine has that address; use 127.0.0.1, 0.0.0.0 or a local address',
  ENOTFOUND: 'the host name does not resolve; use an IP address or a resolvable name',
};

/** The SLUICE_PROXY_LISTEN error for a failed bind, naming the address and the service. */
export function listenFailure(service: string, listen: string, cause: unknown): ProxyError {
  const code = (cause as { code?: unknown } | null)?.code;
  const why =
    (typeof code === 'string' ? ADVICE[code] : undefined) ??
    `${cause instanceof Error ? cause.message : String(cause)}; choose another listen address`;
  return new ProxyError('SLUICE_PROXY_LISTEN', `cannot listen on ${listen} for service "${service}": ${why}`, {
    service,
    cause,
  });
}
