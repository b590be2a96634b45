import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { testApp, testRolloutYaml } from '../server/auth-testing.js';
import { ApiClient } from './client.js';
import { follow } from './follow.js';

/** `status --watch` / `run` against a real API on a real socket: the event stream, and polling when it drops. */

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function serve() {
  const t = testApp({ stream: { intervalMs: 50, heartbeatMs: 1000 } });
  const requests: string[] = [];
  t.app.addHook('onRequest', async (req) => {
    requests.push(`${req.method} ${req.url.split('?')[0]}`);
  });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => t.app.close());
  const { port } = t.app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const notices: string[] = [];
  const client = new ApiClient(url, { token: t.text.viewer, tokenSource: 'test' });
  const waitFor = async (test: () => boolean, what: string) => {
    const deadline = Date.now() + 5000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${text}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { ...t, url, requests, out, output: () => text, notices, client, waitFor };
}

describe('follow', () => {
  it('follows the event stream to the end without polling', async () => {
    const s = await serve();
    await s.apply(testRolloutYaml('web', 18831));
    const following = follow(s.client, 'web', { mode: 'plain', out: s.out, afterSeq: 0, intervalMs: 50, notice: (m) => s.notices.push(m) });
    await s.waitFor(() => s.output().includes('paused'), 'the paused status');
    await s.controller.command('web', { type: 'promote', full: false, actor: 'alice' });
    const final = await following;
    expect(final.phase).toBe('promoted');
    const lines = s.output().trim().split('\n');
    expect(lines.filter((l) => l.includes('[started]'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('[promoted]'))).toBe(true);
    expect(lines.at(-1)).toContain('promoted');
    expect(s.notices).toEqual([]);
    expect(s.requests.filter((r) => r === 'GET /api/v1/events')).toHaveLength(1);
    expect(s.requests.filter((r) => r === 'GET /api/v1/rollouts/web/events')).toHaveLength(0);
  });

  it('goes on by polling when the stream drops, without repeating or losing a decision', async () => {
    const s = await serve();
    await s.apply(testRolloutYaml('web', 18832, '- setWeight: 10\n        - pause: {}\n        - setWeight: 50\n        - pause: {}'));
    const following = follow(s.client, 'web', { mode: 'json', out: s.out, afterSeq: 0, intervalMs: 50, notice: (m) => s.notices.push(m) });
    await s.waitFor(() => s.output().includes('"status"'), 'the first status');
    s.app.server.closeAllConnections();
    await s.waitFor(() => s.notices.length > 0, 'the fallback notice');
    expect(s.notices[0]).toMatch(/^sluice: the event stream (ended|dropped .*); following by polling instead$/);
    await s.controller.command('web', { type: 'promote', full: false, actor: 'alice' });
    await s.waitFor(() => s.output().includes('"canaryWeight":50'), 'the next step, seen by polling');
    await s.controller.command('web', { type: 'promote', full: false, actor: 'alice' });
    const final = await following;
    expect(final.phase).toBe('promoted');
    const seqs = s
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.event)
      .map((l) => l.event.seq);
    expect(seqs).toEqual(s.store.listEvents('web').map((e) => e.seq));
    expect(s.requests.filter((r) => r === 'GET /api/v1/rollouts/web/events').length).toBeGreaterThan(0);
  });

  it('reports a missing rollout instead of polling for it', async () => {
    const s = await serve();
    await expect(follow(s.client, 'nope', { mode: 'plain', out: s.out, afterSeq: 0 })).rejects.toThrow('no rollout named "nope"');
  });
});
