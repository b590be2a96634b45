import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProxyError } from './errors.js';
import { EmbeddedProxy } from './proxy.js';
import { startTestUpstream, eventually } from './testing.js';
import type { TestUpstream } from './testing.js';

let dir: string;
let upstream: TestUpstream;
const proxies: EmbeddedProxy[] = [];

/** A fresh self-signed certificate for 127.0.0.1 from the openssl CLI: [certPem, keyPem]. */
function selfSigned(name: string): [string, string] {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return [cert, key];
}

/** Replaces `target` with `source`'s content atomically, as deployment tools do. */
function replace(target: string, content: string | Buffer): void {
  writeFileSync(`${target}.tmp`, content);
  renameSync(`${target}.tmp`, target);
}

/** The CN of the certificate a fresh TLS connection to `base` is shown. */
function servedName(base: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      socket.destroy();
      resolve(String(cn));
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
  upstream = await startTestUpstream('stable');
});
afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

describe('TLS termination', () => {
  it('serves HTTPS with the certificate from the files, tells the upstream the client used https, and reloads changed files', async () => {
    const [certFile, keyFile] = selfSigned('first');
    const logs: string[] = [];
    const logger = { info: (_o: object, m: string) => logs.push(m), warn: () => undefined, error: (_o: object, m: string) => logs.push(m) };
    const proxy = new EmbeddedProxy({ drainTimeoutMs: 500, tlsReloadIntervalMs: 50, logger });
    proxies.push(proxy);
    await proxy.setRoutes('web', { listen: '127.0.0.1:0', stable: [upstream.url], canary: [], canaryWeight: 0, tls: { certFile, keyFile } });
    const base = proxy.address('web')!;
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const agent = new Agent({ connect: { ca: readFileSync(certFile) } });
    const res = await request(base + '/headers', { dispatcher: agent });
    const seen = (await res.body.json()) as { headers: Record<string, string> };
    expect(res.statusCode).toBe(200);
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    await agent.close();
    expect(await servedName(base)).toBe('first');

    // A half-written or invalid pair is refused and the served certificate kept.
    replace(keyFile, 'not a key');
    await eventually(async () => expect(logs).toContain('proxy kept its previous TLS certificate: the new files are not a valid pair'), 10_000, 50);
    expect(await servedName(base)).toBe('first');

    const [nextCert, nextKey] = selfSigned('second');
    replace(keyFile, readFileSync(nextKey));
    replace(certFile, readFileSync(nextCert));
    await eventually(async () => expect(await servedName(base)).toBe('second'), 10_000, 50);
    expect(logs).toContain('proxy reloaded its TLS certificate');
  });

  it('rejects routes whose certificate cannot be read with SLUICE_PROXY_TLS naming the file', async () => {
    const [certFile] = selfSigned('lonely');
    const proxy = new EmbeddedProxy({ drainTimeoutMs: 500 });
    proxies.push(proxy);
    const missing = join(dir, 'missing.key');
    const err = await proxy
      .setRoutes('web', { listen: '127.0.0.1:0', stable: [upstream.url], canary: [], canaryWeight: 0, tls: { certFile, keyFile: missing } })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect((err as ProxyError).code).toBe('SLUICE_PROXY_TLS');
    expect((err as ProxyError).message).toContain(missing);
    expect(proxy.getRoutes('web')).toBeUndefined();
  });

  it('switches a service from plain HTTP to TLS on the same address', async () => {
    const [certFile, keyFile] = selfSigned('switch');
    const proxy = new EmbeddedProxy({ drainTimeoutMs: 200 });
    proxies.push(proxy);
    const routes = { listen: '127.0.0.1:0', stable: [upstream.url], canary: [], canaryWeight: 0 };
    await proxy.setRoutes('web', routes);
    const port = new URL(proxy.address('web')!).port;
    await proxy.setRoutes('web', { ...routes, listen: `127.0.0.1:${port}` });
    await proxy.setRoutes('web', { ...routes, listen: `127.0.0.1:${port}`, tls: { certFile, keyFile } });
    expect(proxy.address('web')).toBe(`https://127.0.0.1:${port}`);
    expect(await servedName(proxy.address('web')!)).toBe('switch');
  });
});
