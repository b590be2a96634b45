import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlagsServer, type FlagsServer } from './flags-testing.js';

const example = readFileSync(new URL('../../examples/flags/checkout.yaml', import.meta.url), 'utf8');

let s: FlagsServer;
beforeAll(async () => {
  s = await startFlagsServer();
});
afterAll(() => s?.close());

describe('flag management API', () => {
  it('applies a FlagSet from YAML, lists flags, and reports an identical re-apply as unchanged', async () => {
    const created = await s.api('POST', '/api/v1/flagsets', example, { 'x-sluice-source': 'examples/flags/checkout.yaml' });
    expect(created.status).toBe(201);
    expect(created.body.results[0]).toMatchObject({ environment: 'production', name: 'checkout', outcome: 'created' });
    expect(created.body.results[0].changes.map((c: { flag: string }) => c.flag)).toEqual(['new-checkout', 'checkout-button-color', 'max-cart-items', 'payment-providers']);
    const again = await s.api('POST', '/api/v1/flagsets', example);
    expect(again.status).toBe(200);
    expect(again.body.results[0].outcome).toBe('unchanged');
    const list = await s.api('GET', '/api/v1/flags?environment=production');
    expect(list.body.flags.find((f: { key: string }) => f.key === 'new-checkout')).toMatchObject({ flagSet: 'checkout', enabled: true, split: { on: 10 }, rules: 2, variants: ['on', 'off'] });
    const one = await s.api('GET', '/api/v1/flags/production/new-checkout');
    expect(one.body.definition.rules[0].name).toBe('new-zealand');
  });

  it('rejects an invalid document with every error placed in the file, and changes nothing', async () => {
    const bad = example.replace('defaultVariant: off\n      rules:', 'defaultVariant: of\n      rules:').replace('equals: NZ', 'equals: [NZ]');
    const res = await s.api('POST', '/api/v1/flagsets', bad, { 'x-sluice-source': 'bad.yaml' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('SLUICE_INVALID_SPEC');
    expect(res.body.error.details.errors.map((e: { file: string; line: number; path: string }) => `${e.file}:${e.line} ${e.path}`)).toEqual([
      'bad.yaml:24 spec.flags.new-checkout.defaultVariant',
      'bad.yaml:29 spec.flags.new-checkout.rules[0].conditions[0].equals',
    ]);
  });

  it('changes one flag (percent, off), records who did it, and serves its history', async () => {
    const ramp = await s.api('PATCH', '/api/v1/flags/production/new-checkout', { variant: 'on', percent: 25 });
    expect(ramp.status).toBe(200);
    expect(ramp.body).toMatchObject({ changed: true, flag: { definition: { split: { on: 25 } } } });
    const off = await s.api('PATCH', '/api/v1/flags/production/new-checkout', { enabled: false });
    expect(off.body.event.message).toBe('flag "new-checkout": turned off (serving "off")');
    const history = await s.api('GET', '/api/v1/flags/production/new-checkout/history');
    expect(history.body.events.map((e: { type: string; message: string }) => e.type)).toEqual(['flag-created', 'flag-updated', 'flag-updated']);
    const actors = new Set(history.body.events.map((e: { actor: string }) => e.actor));
    expect(actors.size).toBe(1);
    expect([...actors][0]).not.toBe('api');
    await s.api('PATCH', '/api/v1/flags/production/new-checkout', { enabled: true, variant: 'on', percent: 10 });
  });

  it('answers bad changes and unknown flags with a code and a sentence', async () => {
    const unknownVariant = await s.api('PATCH', '/api/v1/flags/production/new-checkout', { variant: 'maybe' });
    expect(unknownVariant.status).toBe(400);
    expect(unknownVariant.body.error).toMatchObject({ code: 'SLUICE_FLAG_INVALID_CHANGE', message: expect.stringContaining('the variants are on, off') });
    const extra = await s.api('PATCH', '/api/v1/flags/production/new-checkout', { percentage: 5 });
    expect(extra.body.error.message).toContain('unknown field(s) percentage');
    const missing = await s.api('GET', '/api/v1/flags/production/nope');
    expect(missing.status).toBe(404);
    expect((await s.api('GET', '/api/v1/flags/production/nope/history')).status).toBe(404);
    const taken = await s.api('POST', '/api/v1/flagsets', example.replace('name: checkout', 'name: other'));
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('SLUICE_FLAG_KEY_TAKEN');
  });

  it('creates client keys shown once, lists them without secrets, revokes them', async () => {
    const created = await s.api('POST', '/api/v1/flag-keys', { environment: 'staging', name: 'web' });
    expect(created.status).toBe(201);
    const { key, secret } = created.body;
    expect(secret).toMatch(/^sluice_ck_/);
    const listed = await s.api('GET', '/api/v1/flag-keys?environment=staging');
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(listed.body.keys.map((k: { id: string }) => k.id)).toContain(key.id);
    const sdk = () => request(`${s.url}/sdk/v1/flags`, { headers: { 'x-api-key': secret } });
    expect((await sdk()).statusCode).toBe(200);
    expect((await s.api('DELETE', `/api/v1/flag-keys/${key.id}`)).body.key.revokedAt).toBeGreaterThan(0);
    const after = await sdk();
    expect(after.statusCode).toBe(401);
    expect(((await after.body.json()) as { error: { code: string } }).error.code).toBe('SLUICE_CLIENT_KEY_INVALID');
    expect((await s.api('POST', '/api/v1/flag-keys', { environment: 'Prod!' })).status).toBe(400);
  });
});

describe('SDK definitions', () => {
  it('serves the key\'s environment with an ETag, 304 when unchanged, 401 without a key', async () => {
    const secret = await s.clientKey('production');
    const first = await request(`${s.url}/sdk/v1/flags`, { headers: { authorization: `Bearer ${secret}` } });
    expect(first.statusCode).toBe(200);
    const defs = (await first.body.json()) as { environment: string; revision: number; flagSets: Array<{ metadata: { name: string } }> };
    expect(defs.environment).toBe('production');
    expect(defs.flagSets.map((f) => f.metadata.name)).toEqual(['checkout']);
    const etag = first.headers.etag as string;
    const second = await request(`${s.url}/sdk/v1/flags`, { headers: { authorization: `Bearer ${secret}`, 'if-none-match': etag } });
    expect(second.statusCode).toBe(304);
    await second.body.dump();
    const anonymous = await request(`${s.url}/sdk/v1/flags`);
    expect(anonymous.statusCode).toBe(401);
    await anonymous.body.dump();
  });

  it('streams the definitions on connect and after a change made through the API', async () => {
    const secret = await s.clientKey('production');
    const ac = new AbortController();
    const res = await request(`${s.url}/sdk/v1/flags/stream`, { headers: { 'x-api-key': secret }, signal: ac.signal });
    expect(res.headers['content-type']).toContain('text/event-stream');
    let buffer = '';
    const messages: Array<{ id: string; data: { revision: number; flagSets: Array<{ spec: { flags: Record<string, { split?: Record<string, number> }> } }> } }> = [];
    const reading = (async () => {
      try {
        for await (const chunk of res.body) {
          buffer += chunk.toString();
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (.*)$/m.exec(block)?.[1];
            const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (id !== undefined && /^event: flags$/m.test(block)) messages.push({ id, data: JSON.parse(data) });
          }
        }
      } catch {
        // aborted
      }
    })();
    const until = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} messages, got ${messages.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await until(1);
    await s.api('PATCH', '/api/v1/flags/production/new-checkout', { variant: 'on', percent: 42 });
    await until(2);
    expect(messages[1].data.revision).toBeGreaterThan(messages[0].data.revision);
    expect(messages[1].id).toBe(String(messages[1].data.revision));
    expect(messages[1].data.flagSets[0].spec.flags['new-checkout'].split).toEqual({ on: 42 });
    ac.abort();
    await reading;
    await s.api('PATCH', '/api/v1/flags/production/new-checkout', { variant: 'on', percent: 10 });
  });

  it('answers 409 SLUICE_FLAG_UNDER_ROLLOUT to a hand-made split of a flag a live guarded rollout drives, and names it in listings', async () => {
    const staging = example.replaceAll('environment: production', 'environment: locked-env');
    expect((await s.api('POST', '/api/v1/flagsets', staging)).status).toBe(201);
    const lock = { environment: 'locked-env', key: 'new-checkout', rollout: 'checkout', phase: 'progressing', step: 2, steps: 4, variant: 'on', share: 10, startedAt: 0 };
    s.plane.flags.lockWith(() => [lock]);
    const refused = await s.api('PATCH', '/api/v1/flags/locked-env/new-checkout', { variant: 'on', percent: 2 });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'SLUICE_FLAG_UNDER_ROLLOUT', message: expect.stringMatching(/guarded rollout "checkout" \(step 2 of 4, serving "on" to 10% of users\)/) });
    expect((await s.api('PATCH', '/api/v1/flags/locked-env/new-checkout', { enabled: false })).status).toBe(200);
    expect((await s.api('GET', '/api/v1/flags?environment=locked-env&key=new-checkout')).body.flags[0].drivenBy).toEqual(lock);
    expect((await s.api('GET', '/api/v1/flags/locked-env/new-checkout')).body.drivenBy).toEqual(lock);
    const applied = await s.api('POST', '/api/v1/flagsets', staging.replace('on: 10', 'on: 50'));
    expect(applied.body.results[0].warnings).toEqual([expect.stringContaining('kept the split on 10%')]);
  });
});
