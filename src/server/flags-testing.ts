import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { silentLogger } from '../log/logger.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';

/**
 * A real control plane on a free port with a fresh data directory, for tests
 * and benchmarks of the flag endpoints over real sockets. `operator` holds
 * the headers of an authorised operator (the first admin token, when the
 * server issues one).
 */
export interface FlagsServer {
  plane: ControlPlane;
  url: string;
  operator: Record<string, string>;
  /** Calls the API as the operator; JSON in, status and JSON (or text) out. */
  api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }>;
  /** Creates a client key for an environment and returns its secret. */
  clientKey(environment: string): Promise<string>;
  close(): Promise<void>;
}

export async function startFlagsServer(): Promise<FlagsServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-flags-'));
  const plane = await startControlPlane({ api: '127.0.0.1:0', dataDir, logger: silentLogger, tickMs: 3_600_000 });
  const tokenFile = join(dataDir, 'admin-token');
  const operator: Record<string, string> = { 'x-sluice-actor': 'test-operator' };
  if (existsSync(tokenFile)) operator.authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
  const api: FlagsServer['api'] = async (method, path, body, headers = {}) => {
    const isText = typeof body === 'string';
    const res = await request(plane.url + path, {
      method,
      headers: { ...operator, ...(body !== undefined ? { 'content-type': isText ? 'application/yaml' : 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : isText ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.statusCode, headers: res.headers, body: parsed };
  };
  return {
    plane,
    url: plane.url,
    operator,
    api,
    async clientKey(environment) {
      const res = await api('POST', '/api/v1/flag-keys', { environment, name: `${environment} test key` });
      if (res.status !== 201) throw new Error(`creating a client key failed: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { secret: string }).secret;
    },
    async close() {
      await plane.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
