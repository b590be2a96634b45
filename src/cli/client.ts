import { request } from 'undici';
import type { RolloutView } from '../server/views.js';
import type { StoredEvent } from '../store/store.js';

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
}

/** The control-plane API as the CLI sees it. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly actor = `cli:${process.env.USER ?? 'unknown'}`,
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

  command(name: string, verb: 'promote' | 'abort' | 'pause' | 'resume' | 'retry', body: Record<string, unknown> = {}): Promise<RolloutView> {
    return this.call('POST', `/api/v1/rollouts/${encodeURIComponent(name)}/${verb}`, JSON.stringify(body), { 'content-type': 'application/json' });
  }

  remove(name: string): Promise<{ deleted: string }> {
    return this.call('DELETE', `/api/v1/rollouts/${encodeURIComponent(name)}`);
  }

  events(name: string, afterSeq = 0, limit = 1000): Promise<{ events: StoredEvent[] }> {
    return this.call('GET', `/api/v1/rollouts/${encodeURIComponent(name)}/events?after=${afterSeq}&limit=${limit}`);
  }

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: string, headers: Record<string, string> = {}): Promise<T> {
    let res;
    try {
      res = await request(new URL(path, this.baseUrl), { method, body, headers: { ...headers, 'x-sluice-actor': this.actor }, headersTimeout: 30_000, bodyTimeout: 30_000 });
    } catch (err) {
      throw new CliError(
        `cannot reach the Sluice server at ${this.baseUrl} (${(err as Error).message}). Is \`sluice up\` running? Point the CLI elsewhere with --server URL or SLUICE_SERVER.`,
        1,
        'SLUICE_UNREACHABLE',
        undefined,
        { cause: err },
      );
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch (err) {
      throw new CliError(`the server at ${this.baseUrl} answered ${res.statusCode} with a body that is not JSON; is it a Sluice server?`, 1, 'SLUICE_BAD_RESPONSE', undefined, { cause: err });
    }
    if (res.statusCode >= 400) {
      const e = (json as { error?: { code?: string; message?: string; details?: unknown } }).error ?? {};
      throw new CliError(e.message ?? `the server answered ${res.statusCode}`, 1, e.code ?? 'SLUICE_HTTP_' + res.statusCode, e.details);
    }
    return json as T;
  }
}
