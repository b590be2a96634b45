import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEventStream, type SseMessage } from '../cli/event-stream.js';
import { testApp, testRolloutYaml } from './auth-testing.js';
import { startFlagsServer } from './flags-testing.js';

/** The event stream over a real socket, read by a real HTTP client. */

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function serve() {
  const t = testApp({ stream: { intervalMs: 50, heartbeatMs: 40 } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => t.app.close());
  const { port } = t.app.server.address() as { port: number };
  return { ...t, url: `http://127.0.0.1:${port}` };
}

/** Opens a stream and collects what arrives; `until` waits (with a deadline) for a message matching a test. */
async function open(url: string, headers: Record<string, string>) {
  const ac = new AbortController();
  const res = await request(url, { headers, signal: ac.signal });
  const messages: SseMessage[] = [];
  let raw = '';
  let ended = false;
  const tee = async function* () {
    for await (const chunk of res.body) {
      raw += chunk.toString();
      yield chunk as Buffer;
    }
  };
  const reading = (async () => {
    try {
      for await (const m of parseEventStream(tee())) messages.push(m);
    } catch {
      // aborted by the test
    }
    ended = true;
  })();
  cleanups.push(async () => {
    ac.abort();
    await reading;
  });
  const until = async (test: (m: SseMessage, all: SseMessage[]) => boolean, what: string, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.find((m) => test(m, messages));
      if (found) return found;
      if (!messages.length && test({ event: '', data: '', lastEventId: '', hasId: false }, messages)) return undefined as never;
      if (Date.now() > deadline || ended) throw new Error(`no ${what} on the stream (ended: ${ended}); got ${messages.map((m) => m.event).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { res, messages, until, raw: () => raw, ended: () => ended };
}

const data = (m: SseMessage) => JSON.parse(m.data);

describe('GET /api/v1/events', () => {
  it('needs a viewer token and a known rollout', async () => {
    const s = await serve();
    const none = await request(`${s.url}/api/v1/events`);
    expect(none.statusCode).toBe(401);
    expect(((await none.body.json()) as { error: { code: string } }).error.code).toBe('SLUICE_UNAUTHENTICATED');
    const missing = await request(`${s.url}/api/v1/events?rollout=nope`, { headers: s.bearer('viewer') });
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  });

  it('streams the state on connect, then decisions with their seq as id, state changes, metrics every interval and heartbeats', async () => {
    const s = await serve();
    await s.apply(testRolloutYaml('web', 18821));
    const stream = await open(`${s.url}/api/v1/events?rollout=web`, s.bearer('viewer'));
    expect(stream.res.statusCode).toBe(200);
    expect(stream.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const first = await stream.until((m) => m.event === 'state', 'initial state');
    expect(data(first)).toMatchObject({ name: 'web', phase: 'paused', canaryWeight: 10 });

    const metrics = await stream.until((m) => m.event === 'metrics', 'metrics');
    expect(data(metrics)).toMatchObject({ rollout: 'web', live: { canary: { rps: 10 }, stable: { rps: 90 } } });
    await stream.until((_m, all) => all.filter((m) => m.event === 'metrics').length >= 3, 'three metrics messages');
    await stream.until(() => stream.raw().includes(': heartbeat\n\n'), 'a heartbeat');

    const promoted = await request(`${s.url}/api/v1/rollouts/web/promote`, { method: 'POST', headers: s.bearer('operator') });
    expect(promoted.statusCode).toBe(200);
    await promoted.body.dump();
    const decision = await stream.until((m) => m.event === 'decision' && data(m).type === 'promoted', 'the promoted decision');
    const stored = s.store.listEvents('web').find((e) => e.type === 'promoted')!;
    expect(data(decision)).toEqual(stored);
    expect(decision.hasId).toBe(true);
    expect(decision.lastEventId).toBe(String(stored.seq));
    expect(stream.messages.filter((m) => m.event === 'decision').map((m) => data(m).actor)).toContain('operator');
    const after = await stream.until((m) => m.event === 'state' && data(m).phase === 'promoted', 'the promoted state');
    expect(stream.messages.indexOf(after)).toBeGreaterThan(stream.messages.indexOf(decision));
    // State is sent on change only (e.g. routesConfirmed once the router confirmed), never twice the same.
    await stream.until((_m, all) => all.filter((m) => m.event === 'metrics' && all.indexOf(m) > all.indexOf(after)).length >= 3, 'more metrics');
    const states = stream.messages.filter((m) => m.event === 'state').map((m) => JSON.stringify({ ...data(m), live: undefined }));
    expect(states.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < states.length; i++) expect(states[i]).not.toBe(states[i - 1]);
  });

  it('resumes after Last-Event-ID: replays exactly the later events, in order, then goes live', async () => {
    const s = await serve();
    await s.apply(testRolloutYaml('web', 18822));
    await s.controller.command('web', { type: 'pause', actor: 'x' }).catch(() => undefined);
    await s.controller.command('web', { type: 'promote', full: false, actor: 'x' });
    const all = s.store.listEvents('web');
    expect(all.length).toBeGreaterThan(3);
    const from = all[1]!.seq;
    const stream = await open(`${s.url}/api/v1/events?rollout=web`, { ...s.bearer('viewer'), 'last-event-id': String(from) });
    await stream.until((m) => m.event === 'state', 'state after the replay');
    const replayed = stream.messages.filter((m) => m.event === 'decision').map((m) => data(m).seq);
    expect(replayed).toEqual(all.slice(2).map((e) => e.seq));
    // Live events continue from there, without repeats.
    await s.apply(testRolloutYaml('web', 18822, '- setWeight: 30\n        - pause: {}'));
    await stream.until((m) => m.event === 'decision' && data(m).revision === 2, 'the next revision');
    const seqs = stream.messages.filter((m) => m.event === 'decision').map((m) => data(m).seq as number);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  });

  it('without a rollout filter follows every rollout, and says when one is deleted', async () => {
    const s = await serve();
    await s.apply(testRolloutYaml('one', 18823));
    const stream = await open(`${s.url}/api/v1/events?after=0`, s.bearer('viewer'));
    await stream.until((m) => m.event === 'state' && data(m).name === 'one', 'state of one');
    await s.apply(testRolloutYaml('two', 18824));
    await stream.until((m) => m.event === 'decision' && data(m).rollout === 'two', 'a decision of two');
    await stream.until((m) => m.event === 'metrics' && data(m).rollout === 'two', 'metrics of two');
    const del = await request(`${s.url}/api/v1/rollouts/one`, { method: 'DELETE', headers: s.bearer('admin') });
    expect(del.statusCode).toBe(200);
    await del.body.dump();
    const gone = await stream.until((m) => m.event === 'gone', 'gone');
    expect(data(gone)).toEqual({ rollout: 'one' });
    expect(stream.messages.filter((m) => m.event === 'decision' && data(m).rollout === 'one')[0]).toMatchObject({ lastEventId: String(s.store.listEvents('one')[0]!.seq) });
  });

  it('ends open streams when the server closes', async () => {
    const s = await serve();
    const stream = await open(`${s.url}/api/v1/events`, s.bearer('viewer'));
    await stream.until(() => stream.raw().includes('retry: 1000'), 'the retry hint');
    await s.app.close();
    const deadline = Date.now() + 5000;
    while (!stream.ended() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(stream.ended()).toBe(true);
  });
});

describe('GET /api/v1/events: flag changes', () => {
  const FLAGS = `apiVersion: sluice.dev/v1alpha1
kind: FlagSet
metadata: {name: shop, environment: production}
spec:
  flags:
    new-checkout: {variants: {on: true, off: false}, defaultVariant: off}
    banner: {variants: {on: true, off: false}, defaultVariant: off}
`;
  const ROLLOUT = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: checkout}
spec:
  flag: {environment: production, key: new-checkout, variant: on}
  strategy:
    canary:
      steps:
        - setWeight: 10
        - pause: {}
`;

  it('sends each change as `event: flag` without an id to streams that follow every rollout, and none to a filtered stream', async () => {
    const server = await startFlagsServer();
    cleanups.push(() => server.close());
    expect((await server.api('POST', '/api/v1/flagsets', FLAGS)).status).toBe(201);
    expect((await server.api('POST', '/api/v1/rollouts', ROLLOUT)).status).toBe(201);
    const all = await open(`${server.url}/api/v1/events?after=0`, server.operator);
    const one = await open(`${server.url}/api/v1/events?rollout=checkout&after=0`, server.operator);
    await all.until((m) => m.event === 'state' && data(m).name === 'checkout', 'the rollout state');
    const lastRolloutId = all.messages.filter((m) => m.hasId).at(-1)!.lastEventId;
    expect(lastRolloutId).not.toBe('');

    // A flag no rollout drives (a driven one refuses hand-made splits: 409 SLUICE_FLAG_UNDER_ROLLOUT).
    const patched = await server.api('PATCH', '/api/v1/flags/production/banner', { variant: 'on', percent: 25 });
    expect(patched.status).toBe(200);
    const changed = await all.until((m) => m.event === 'flag' && data(m).actor === 'admin', 'the flag change');
    expect(data(changed)).toEqual({
      environment: 'production',
      revision: expect.any(Number),
      actor: 'admin',
      time: expect.any(Number),
      flags: [expect.objectContaining({ environment: 'production', key: 'banner', flagSet: 'shop', enabled: true, split: { on: 25 }, updatedBy: 'admin' })],
      removed: [],
    });
    // The guarded rollout's own moves come the same way: promoted, it serves the variant to everyone.
    const promoted = await server.api('POST', '/api/v1/rollouts/checkout/promote');
    expect(promoted.status).toBe(200);
    const byRollout = await all.until((m) => m.event === 'flag' && data(m).actor === 'rollout/checkout', 'the rollout\'s flag change');
    expect(data(byRollout).flags).toMatchObject([{ key: 'new-checkout', split: { on: 100 }, updatedBy: 'rollout/checkout' }]);
    // No id: a reconnect still resumes after the last rollout event.
    expect(changed.hasId).toBe(false);
    expect(changed.lastEventId).toBe(lastRolloutId);
    const { body: listed } = await server.api('GET', '/api/v1/flags?environment=production&key=new-checkout');
    expect(data(byRollout).flags).toEqual(listed.flags);

    // Re-applying the set without a flag reports it removed (and new-checkout, back to its document, changed).
    expect((await server.api('POST', '/api/v1/flagsets', FLAGS.replace(/\n {4}banner:.*\n/, '\n'))).status).toBe(200);
    const removed = await all.until((m) => m.event === 'flag' && data(m).removed.length > 0, 'the removal');
    expect(data(removed)).toMatchObject({ environment: 'production', removed: ['banner'] });
    expect(data(removed).flags.map((f: { key: string; split?: unknown }) => [f.key, f.split])).toEqual([['new-checkout', undefined]]);
    expect(data(removed).revision).toBeGreaterThan(data(changed).revision);

    await one.until((_m, msgs) => msgs.filter((m) => m.event === 'metrics').length >= 1, 'metrics on the filtered stream');
    expect(one.messages.filter((m) => m.event === 'flag')).toEqual([]);
  });
});
