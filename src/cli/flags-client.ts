import type { Command } from 'commander';
import { request } from 'undici';
import type { FlagPatch } from '../flags/patch.js';
import type { ApplyResult, ClientKeyView, FlagView } from '../flags/service.js';
import type { FlagSummary } from '../server/flags-routes.js';
import type { StoredFlagEvent } from '../store/flag-store.js';
import { CliError } from './client.js';
import { resolveConnection } from './config.js';

/** The flag endpoints of the control-plane API, as `sluice flags` uses them. */
export class FlagsClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly tokenSource?: string,
  ) {}

  static connect(program: Command): FlagsClient {
    const c = resolveConnection(program.opts() as { server?: string; token?: string });
    for (const w of c.warnings) process.stderr.write(`sluice: warning: ${w}\n`);
    return new FlagsClient(c.server, c.token, c.tokenSource);
  }

  apply(yaml: string, source: string): Promise<{ results: ApplyResult[] }> {
    return this.call('POST', '/api/v1/flagsets', yaml, { 'content-type': 'application/yaml', 'x-sluice-source': source });
  }

  list(filter: { environment?: string; key?: string } = {}): Promise<{ flags: FlagSummary[] }> {
    const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined));
    return this.call('GET', `/api/v1/flags${q.size ? `?${q}` : ''}`);
  }

  get(environment: string, key: string): Promise<FlagView> {
    return this.call('GET', `/api/v1/flags/${enc(environment)}/${enc(key)}`);
  }

  set(environment: string, key: string, patch: FlagPatch): Promise<{ flag: FlagView; changed: boolean; event?: StoredFlagEvent }> {
    return this.call('PATCH', `/api/v1/flags/${enc(environment)}/${enc(key)}`, JSON.stringify(patch), { 'content-type': 'application/json' });
  }

  history(environment: string, key: string): Promise<{ events: StoredFlagEvent[] }> {
    return this.call('GET', `/api/v1/flags/${enc(environment)}/${enc(key)}/history?limit=10000`);
  }

  createKey(environment: string, name?: string): Promise<{ key: ClientKeyView; secret: string }> {
    return this.call('POST', '/api/v1/flag-keys', JSON.stringify({ environment, ...(name ? { name } : {}) }), { 'content-type': 'application/json' });
  }

  listKeys(environment?: string): Promise<{ keys: ClientKeyView[] }> {
    return this.call('GET', `/api/v1/flag-keys${environment ? `?environment=${enc(environment)}` : ''}`);
  }

  revokeKey(id: string): Promise<{ key: ClientKeyView }> {
    return this.call('DELETE', `/api/v1/flag-keys/${enc(id)}`);
  }

  private async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: string, headers: Record<string, string> = {}): Promise<T> {
    const auth: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` } : {};
    let res;
    try {
      res = await request(new URL(path, this.baseUrl), {
        method,
        body,
        headers: { ...headers, ...auth, 'x-sluice-actor': `cli:${process.env.USER ?? 'unknown'}` },
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (err) {
      throw new CliError(`cannot reach the Sluice server at ${this.baseUrl} (${(err as Error).message}). Is \`sluice up\` running? Point the CLI elsewhere with --server URL or SLUICE_SERVER.`, 1, 'SLUICE_UNREACHABLE', undefined, { cause: err });
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
      let message = e.message ?? `the server answered ${res.statusCode}`;
      if (res.statusCode === 401 && !this.token) message += '; pass --token, set SLUICE_TOKEN, or put `token:` in ~/.config/sluice/config.yaml';
      else if ((res.statusCode === 401 || res.statusCode === 403) && this.tokenSource) message += ` (the token came from ${this.tokenSource})`;
      throw new CliError(message, 1, e.code ?? `SLUICE_HTTP_${res.statusCode}`, e.details);
    }
    return json as T;
  }
}

const enc = encodeURIComponent;
