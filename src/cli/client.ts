import { request } from 'undici';
import { API_MARKER_HEADER } from '../server/api-marker.js';
import type { TokenView } from '../server/auth-routes.js';
import type { RolloutView } from '../server/views.js';
import type { StoredEvent } from '../store/store.js';
import type { Role } from '../store/token-store.js';
import { parseEventStream, type SseMessage } from './event-stream.js';

/** Raised for anything the CLI reports to the user; `exitCode` is what the process exits with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly code = 'SLUICE_CLI',
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ApplyResult {
  name: string;
  outcome: 'created' | 'updated' | 'unchanged';
  rollout: RolloutView;
  /** Things the server applied but wants the user to notice. */
  warnings?: string[];
}

export interface ClientOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Where the token came from, named when the server refuses it. */
  tokenSource?: string;
}

/** How long an event stream may stay silent (heartbeats come every 15 s) before it counts as dropped. */
const STREAM_SILENCE_MS = 45_000;

/** The control-plane API as the CLI sees it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly opts: ClientOptions = {},
  ) {}

  applyYaml(text: string, source: string): Promise<{ results: ApplyResult[] }> {
    return this.call('POST', '/api/v1/rollouts', text, { 'content-type': 'application/yaml', 'x-sluice-source': source });
  }

  list(): Promise<{ rollouts: RolloutView[] }> {
    return this.call('GET', '/api/v1/rollouts');
  }

  get(name: string): Promise<RolloutView> {
    return this.call('GET', `/api/v1/rollouts/${encodeURIComponent(name)}`);
  }

  command(name: string, verb: 'promote' | 'abort' | 'pause' | 'resume' | 'retry' | 'undo', body: Record<string, unknown> = {}): Promise<RolloutView> {
    return this.call('POST', `/api/v1/rollouts/${encodeURIComponent(name)}/${verb}`, JSON.stringify(body), { 'content-type': 'application/json' });
  }

  remove(name: string): Promise<{ deleted: string }> {
    return this.call('DELETE', `/api/v1/rollouts/${encodeURIComponent(name)}`);
  }

  events(name: string, afterSeq = 0, limit = 1000): Promise<{ events: StoredEvent[] }> {
    return this.call('GET', `/api/v1/rollouts/${encodeURIComponent(name)}/events?after=${afterSeq}&limit=${limit}`);
  }

  whoami(): Promise<{ id: string; name: string; role: Role }> {
    return this.call('GET', '/api/v1/whoami');
  }

  listTokens(): Promise<{ tokens: TokenView[] }> {
    return this.call('GET', '/api/v1/tokens');
  }

  createToken(name: string, role: string): Promise<{ token: TokenView; secret: string }> {
    return this.call('POST', '/api/v1/tokens', JSON.stringify({ name, role }), { 'content-type': 'application/json' });
  }

  revokeToken(id: string): Promise<{ token: TokenView; alreadyRevoked?: boolean }> {
    return this.call('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
  }

  /**
   * Opens the live event stream of one rollout, resuming after `afterSeq`.
   * Errors before the stream starts (401, 404, …) throw; once it runs, a
   * dropped connection ends or throws inside the iteration.
   */
  async openEvents(name: string, afterSeq: number, signal?: AbortSignal): Promise<AsyncGenerator<SseMessage>> {
    const path = `/api/v1/events?rollout=${encodeURIComponent(name)}`;
    const res = await this.send('GET', path, undefined, { accept: 'text/event-stream', 'last-event-id': String(afterSeq) }, signal, STREAM_SILENCE_MS);
    if (res.statusCode !== 200) {
      await this.parse(res, await res.body.text());
      throw new CliError(`the server answered ${res.statusCode} to ${path} instead of an event stream`, 1, 'SLUICE_BAD_RESPONSE');
    }
    return parseEventStream(res.body);
  }

  /** One API call: the parsed JSON answer, or a CliError that says what went wrong and what to do. */
  async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: string, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.send(method, path, body, headers);
    return this.parse<T>(res, await res.body.text());
  }

  private async send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body: string | undefined, headers: Record<string, string>, signal?: AbortSignal, bodyTimeout = 30_000) {
    const auth: Record<string, string> = this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {};
    try {
      return await request(new URL(path, this.baseUrl), { method, body, headers: { ...headers, ...auth }, headersTimeout: 30_000, bodyTimeout, signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new CliError(
        `cannot reach the Sluice server at ${this.baseUrl} (${(err as Error).message}). Is \`sluice up\` running? Point the CLI elsewhere with --server URL or SLUICE_SERVER.`,
        1,
        'SLUICE_UNREACHABLE',
        undefined,
        { cause: err },
      );
    }
  }

  private parse<T>(res: { statusCode: number; headers: Record<string, string | string[] | undefined> }, text: string): T {
    if (res.headers[API_MARKER_HEADER] === undefined) {
      throw new CliError(
        `the server at ${this.baseUrl} answered ${res.statusCode} but is not a Sluice control plane (its answer lacks the ${API_MARKER_HEADER} header): ` +
          'point the CLI at the address `sluice up` printed ("API on …") with --server URL or SLUICE_SERVER; a rollout\'s listen address is its service, not the API',
        1,
        'SLUICE_NOT_SLUICE',
      );
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch (err) {
      throw new CliError(`the server at ${this.baseUrl} answered ${res.statusCode} with a body that is not JSON; is it a Sluice server?`, 1, 'SLUICE_BAD_RESPONSE', undefined, { cause: err });
    }
    if (res.statusCode >= 400) {
      const e = (json as { error?: { code?: string; message?: string; details?: unknown } }).error ?? {};
      let message = e.message ?? `the server answered ${res.statusCode}`;
      if (res.statusCode === 401) {
        message = this.opts.token
          ? `${message} (the token came from ${this.opts.tokenSource ?? 'the caller'})`
          : 'the server wants a token and none was given: pass --token, set SLUICE_TOKEN, or put `token:` in ~/.config/sluice/config.yaml. ' +
            '`sluice up` wrote an admin token to <data-dir>/admin-token (default .sluice/admin-token) when it first started';
      } else if (res.statusCode === 403 && this.opts.tokenSource) {
        message = `${message} (the token came from ${this.opts.tokenSource})`;
      }
      throw new CliError(message, 1, e.code ?? 'SLUICE_HTTP_' + res.statusCode, e.details);
    }
    return json as T;
  }
}
