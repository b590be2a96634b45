import type { Whoami } from './types.js';

/**
 * The control-plane API over fetch. Every request carries the token in the
 * Authorization header and nothing rides on cookies: a page on another site
 * cannot make the browser send an authenticated request (no ambient
 * credential), which is what makes the dashboard CSRF-safe without CSRF tokens.
 */

/** An API error as the server reports it: `code` for programs, `message` saying what to do. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const API_BASE = '/api/v1';

export class Api {
  /** `onUnauthorized` runs when the server stops accepting the token (revoked, server reset). */
  constructor(
    readonly token: string,
    private readonly onUnauthorized: (err: ApiError) => void = () => undefined,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: Record<string, unknown> = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: Record<string, unknown>): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  whoami(): Promise<Whoami> {
    return this.get<Whoami>('/whoami');
  }

  private async request<T>(method: string, path: string, body?: Record<string, unknown>): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(API_BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
    } catch (err) {
      throw new ApiError(0, 'SLUICE_UNREACHABLE', `cannot reach the Sluice server (${(err as Error).message}); check that \`sluice up\` is running`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return json as T;
    const e = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    const err = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${method} ${path} answered ${res.status} ${res.statusText}`, e?.details);
    if (res.status === 401) this.onUnauthorized(err);
    throw err;
  }
}
