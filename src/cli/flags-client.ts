import type { Command } from 'commander';
import type { FlagPatch } from '../flags/patch.js';
import type { ApplyResult, ClientKeyView, FlagView } from '../flags/service.js';
import type { FlagSummary } from '../server/flags-routes.js';
import type { StoredFlagEvent } from '../store/flag-store.js';
import type { ApiClient } from './client.js';
import { connect } from './config.js';

/** The flag endpoints of the control-plane API, as `sluice flags` uses them. */
export class FlagsClient {
  constructor(private readonly api: ApiClient) {}

  static connect(program: Command): FlagsClient {
    return new FlagsClient(connect(program));
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

  private call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: string, headers: Record<string, string> = {}): Promise<T> {
    return this.api.call<T>(method, path, body, { ...headers, 'x-sluice-actor': `cli:${process.env.USER ?? 'unknown'}` });
  }
}

const enc = encodeURIComponent;
