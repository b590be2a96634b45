import { readFileSync } from 'node:fs';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { OpenFeature as WebOpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { EventSource, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlagsServer, type FlagsServer } from './flags-testing.js';

/** OFREP tested with the real OpenFeature providers as clients, over real sockets. */

const example = readFileSync(new URL('../../examples/flags/checkout.yaml', import.meta.url), 'utf8');

let s: FlagsServer;
let secret: string;
beforeAll(async () => {
  s = await startFlagsServer();
  expect((await s.api('POST', '/api/v1/flagsets', example)).status).toBe(201);
  secret = await s.clientKey('production');
});
afterAll(async () => {
  await OpenFeature.close();
  await WebOpenFeature.close();
  await s?.close();
});

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('OFREP single-flag evaluation through @openfeature/ofrep-provider', () => {
  const client = () => OpenFeature.getClient('ofrep-server');
  beforeAll(async () => {
    await OpenFeature.setProviderAndWait('ofrep-server', new OFREPProvider({ baseUrl: s.url, headers: [['X-API-Key', secret]] }));
  });

  it('returns value, variant and reason for every flag type', async () => {
    expect(await client().getBooleanDetails('new-checkout', false, { targetingKey: 'user-1', country: 'NZ' })).toMatchObject({
      value: true, variant: 'on', reason: 'TARGETING_MATCH', flagMetadata: { flagSet: 'checkout', rule: 'new-zealand' },
    });
    expect(await client().getStringDetails('checkout-button-color', 'x', { targetingKey: 'user-1' })).toMatchObject({ value: expect.stringMatching(/^#/), reason: 'SPLIT' });
    expect(await client().getNumberDetails('max-cart-items', 0, { plan: 'pro', appVersion: '2.4.1' })).toMatchObject({ value: 100, variant: 'large' });
    expect(await client().getObjectDetails('payment-providers', {}, {})).toMatchObject({ value: { providers: ['card'] }, reason: 'DISABLED' });
  });

  it('matches the in-process evaluator user for user on the split', async () => {
    const snapshot = s.plane.flags.snapshot('production');
    for (let i = 0; i < 20; i++) {
      const ctx = { targetingKey: `user-${i}`, country: 'US' };
      const remote = await client().getBooleanValue('new-checkout', false, ctx);
      expect(remote, ctx.targetingKey).toBe(snapshot.compiled.evaluate('new-checkout', ctx).value);
    }
  });

  it('reports the OFREP error codes', async () => {
    expect(await client().getBooleanDetails('no-such-flag', true, { targetingKey: 'u' })).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(await client().getBooleanDetails('new-checkout', true, { country: 'US' })).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
    expect(await client().getStringDetails('new-checkout', 'dflt', { targetingKey: 'u' })).toMatchObject({ value: 'dflt', errorCode: 'TYPE_MISMATCH' });
    // The wire format, as the protocol documents it.
    const res = await request(`${s.url}/ofrep/v1/evaluate/flags/no-such-flag`, { method: 'POST', headers: { 'x-api-key': secret, 'content-type': 'application/json' }, body: '{"context":{}}' });
    expect(res.statusCode).toBe(404);
    expect(await res.body.json()).toEqual({ key: 'no-such-flag', errorCode: 'FLAG_NOT_FOUND', errorDetails: expect.any(String) });
    const bad = await request(`${s.url}/ofrep/v1/evaluate/flags/new-checkout`, { method: 'POST', headers: { 'x-api-key': secret, 'content-type': 'application/json' }, body: '{"context": 5}' });
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toMatchObject({ key: 'new-checkout', errorCode: 'INVALID_CONTEXT' });
    const garbled = await request(`${s.url}/ofrep/v1/evaluate/flags/new-checkout`, { method: 'POST', headers: { 'x-api-key': secret, 'content-type': 'application/json' }, body: '{"context":' });
    expect(garbled.statusCode).toBe(400);
    expect(await garbled.body.json()).toMatchObject({ key: 'new-checkout', errorCode: 'INVALID_CONTEXT' });
  });

  it('refuses an unknown key with 401, which the provider reports as an error', async () => {
    await OpenFeature.setProviderAndWait('ofrep-bad-key', new OFREPProvider({ baseUrl: s.url, headers: [['X-API-Key', 'sluice_ck_wrong']] }));
    const d = await OpenFeature.getClient('ofrep-bad-key').getBooleanDetails('new-checkout', false, { targetingKey: 'u' });
    expect(d).toMatchObject({ value: false, reason: 'ERROR', errorCode: 'GENERAL' });
    const res = await request(`${s.url}/ofrep/v1/evaluate/flags/new-checkout`, { method: 'POST', body: '{}' });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
  });

  it('tells someone who sends an operator API token that OFREP wants a client key', async () => {
    const res = await request(`${s.url}/ofrep/v1/evaluate/flags/new-checkout`, {
      method: 'POST',
      headers: { 'x-api-key': 'sluice_0123456789ab_notaclientkey', 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'u' } }),
    });
    expect(res.statusCode).toBe(401);
    expect(JSON.stringify(await res.body.json())).toMatch(/this is an API token \(for operators\), not a client key.*sluice flags keys create/);
  });
});

describe('OFREP bulk evaluation', () => {
  const bulk = (headers: Record<string, string> = {}, context: unknown = { targetingKey: 'user-7', country: 'AU' }) =>
    request(`${s.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { 'x-api-key': secret, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ context }) });

  it('evaluates every flag, with an ETag, a 304 for the same answer and a new ETag after a change', async () => {
    const first = await bulk();
    expect(first.statusCode).toBe(200);
    const body = (await first.body.json()) as { flags: Array<{ key: string }>; metadata: { version: string }; eventStreams: Array<{ type: string; url: string }> };
    expect(body.flags.map((f) => f.key).sort()).toEqual(['checkout-button-color', 'max-cart-items', 'new-checkout', 'payment-providers']);
    expect(body.eventStreams).toEqual([{ type: 'sse', url: expect.stringMatching(/\/ofrep\/v1\/sse\?token=/), inactivityDelaySec: 120 }]);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    const same = await bulk({ 'if-none-match': etag });
    expect(same.statusCode).toBe(304);
    await same.body.dump();
    const otherUser = await bulk({ 'if-none-match': etag }, { targetingKey: 'user-8', country: 'NZ' });
    expect(otherUser.statusCode).toBe(200);
    await otherUser.body.dump();
    await s.api('PATCH', '/api/v1/flags/production/max-cart-items', { variant: 'large' });
    const changed = await bulk({ 'if-none-match': etag });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    await changed.body.dump();
    await s.api('PATCH', '/api/v1/flags/production/max-cart-items', { variant: 'small' });
  });

  it('reports per-flag errors inside a 200, and a bad context as a 400', async () => {
    const res = await bulk({}, { country: 'US' });
    const body = (await res.body.json()) as { flags: Array<{ key: string; errorCode?: string }> };
    expect(body.flags.find((f) => f.key === 'new-checkout')).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' });
    const bad = await bulk({}, ['not', 'an', 'object']);
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
  });
});

describe('OFREP bulk + SSE change notifications through @openfeature/ofrep-web-provider', () => {
  it('serves cached values and refreshes them when a change is announced on the stream', async () => {
    const g = globalThis as { EventSource?: unknown };
    const hadEventSource = 'EventSource' in g;
    g.EventSource ??= EventSource;
    try {
      const provider = new OFREPWebProvider({ baseUrl: s.url, headers: [['X-API-Key', secret]], pollInterval: 0, cacheMode: 'disabled' } as ConstructorParameters<typeof OFREPWebProvider>[0]);
      await WebOpenFeature.setContext('web', { targetingKey: 'user-7', country: 'AU' });
      await WebOpenFeature.setProviderAndWait('web', provider);
      const client = WebOpenFeature.getClient('web');
      expect(client.getNumberDetails('max-cart-items', 0)).toMatchObject({ value: 20, variant: 'small' });
      const changed: string[][] = [];
      client.addHandler(ProviderEvents.ConfigurationChanged, (e) => changed.push(e?.flagsChanged ?? []));
      // The provider connects its stream after the first fetch; change the flag until a change is announced.
      let variant = 'small';
      await until('a change announced on the stream', async () => {
        variant = variant === 'small' ? 'large' : 'small';
        await s.api('PATCH', '/api/v1/flags/production/max-cart-items', { variant });
        const deadline = Date.now() + 500;
        while (changed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        return changed.length > 0;
      });
      expect(changed.flat()).toContain('max-cart-items');
      await until('the refreshed value', () => client.getNumberValue('max-cart-items', 0) === (variant === 'large' ? 100 : 20));
      const before = changed.length;
      await s.api('PATCH', '/api/v1/flags/production/max-cart-items', { variant: variant === 'large' ? 'small' : 'large' });
      await until('the next refresh', () => changed.length > before);
      expect(client.getNumberValue('max-cart-items', 0)).toBe(variant === 'large' ? 20 : 100);
    } finally {
      await WebOpenFeature.clearProviders();
      await s.api('PATCH', '/api/v1/flags/production/max-cart-items', { variant: 'small' });
      if (!hadEventSource) delete g.EventSource;
    }
  });
});

describe('OFREP change stream (ADR 0008) on the wire', () => {
  async function openStream(url: string, headers: Record<string, string> = {}) {
    const ac = new AbortController();
    const res = await request(url, { headers, signal: ac.signal });
    let text = '';
    const reading = (async () => {
      try {
        for await (const chunk of res.body) text += chunk.toString();
      } catch {
        // aborted
      }
    })();
    return { res, text: () => text, close: async () => { ac.abort(); await reading; } };
  }

  it('announces each change as refetchEvaluation with the revision as id, and catches up a client that resumes behind', async () => {
    const res = await request(`${s.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { 'x-api-key': secret, 'content-type': 'application/json' }, body: '{}' });
    const { eventStreams, metadata } = (await res.body.json()) as { eventStreams: Array<{ url: string }>; metadata: { version: string } };
    const stream = await openStream(eventStreams[0].url);
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toContain('text/event-stream');
    await until('the retry line', () => stream.text().includes('retry: 1000'));
    await s.api('PATCH', '/api/v1/flags/production/new-checkout', { variant: 'on', percent: 11 });
    const message = await until('a refetchEvaluation message', () => /id: (\d+)\ndata: (\{.*\})\n\n/.exec(stream.text()) ?? undefined);
    expect(Number(message[1])).toBeGreaterThan(Number(metadata.version));
    expect(JSON.parse(message[2])).toEqual({ type: 'refetchEvaluation', etag: expect.any(String), lastModified: expect.any(Number) });
    await stream.close();

    const resumed = await openStream(eventStreams[0].url, { 'last-event-id': metadata.version });
    await until('a catch-up message', () => resumed.text().includes('"refetchEvaluation"'));
    await resumed.close();
    const current = await openStream(eventStreams[0].url, { 'last-event-id': message[1] });
    await until('the retry line', () => current.text().includes('retry:'));
    expect(current.text()).not.toContain('refetchEvaluation');
    await current.close();
    await s.api('PATCH', '/api/v1/flags/production/new-checkout', { variant: 'on', percent: 10 });
  });

  it('refuses a forged stream token', async () => {
    const res = await request(`${s.url}/ofrep/v1/sse?token=ck_123.forged`);
    expect(res.statusCode).toBe(401);
    await res.body.dump();
  });
});
