/** How the proxy answers a request it could not complete upstream. */
export interface Failure {
  status: 502 | 504;
  /** One line for the client, naming the version and the upstream. */
  body: string;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === 'string' ? cause : '';
}

/**
 * Maps an upstream error to the response the proxy sends: timeouts are 504,
 * everything else (refused, reset, unresolvable, protocol errors) is 502.
 */
export function describeFailure(err: unknown, version: string, origin: string): Failure {
  const who = `sluice: ${version} upstream ${origin}`;
  const code = codeOf(err);
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { status: 504, body: `${who} did not send response headers in time\n` };
    case 'UND_ERR_BODY_TIMEOUT':
      return { status: 504, body: `${who} stalled while sending the response body\n` };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { status: 504, body: `${who} did not accept the connection in time\n` };
    case 'ECONNREFUSED':
      return { status: 502, body: `${who} refused the connection\n` };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { status: 502, body: `${who} reset the connection\n` };
    case 'SLUICE_UPSTREAM_PROTOCOL':
      return { status: 502, body: `${who} sent a response that is not valid HTTP/1.1: ${err instanceof Error ? err.message : String(err)}\n` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { status: 502, body: `${who} could not be resolved\n` };
    default: {
      const what = code || (err instanceof Error ? err.message : String(err));
      return { status: 502, body: `${who} failed (${what})\n` };
    }
  }
}

/** True when the instance refused the connection: nothing reached it, so the request can safely go elsewhere. */
export function isRefused(err: unknown): boolean {
  return codeOf(err) === 'ECONNREFUSED';
}

/** Upstream statuses that say the instance (or what stands behind it) is unwell, for outlier detection. */
export function isGatewayStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}
