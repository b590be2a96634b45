import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadRunner } from './load.js';
import type { HookRequest } from './runner.js';
import { Receiver } from './testing.js';

/** The built-in load generator against a real HTTP server. */
describe('LoadRunner', () => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await Receiver.start();
  });
  afterAll(() => rx.close());

  const request = (url: string, rps: number, duration: number): HookRequest => ({
    rollout: 'checkout', revision: 1, runId: '1.1', phase: 'rollout', rolloutPhase: 'progressing', step: 1, steps: 2, stepIndex: 0, canaryWeight: 10,
    hook: { name: 'load', type: 'load', url, timeout: 2000, retries: 0, rps, duration },
  });

  it('sends rps × duration requests to the URL and passes when they got through, 5xx included', async () => {
    let n = 0;
    rx.answer(() => ({ status: ++n % 10 === 0 ? 503 : 200 }));
    const out = await new LoadRunner().run(request(`${rx.url}/search?q=1`, 100, 1000), new AbortController().signal);
    const hits = rx.at('/search?q=1');
    expect(hits.length).toBeGreaterThanOrEqual(95);
    expect(hits.length).toBeLessThanOrEqual(100);
    expect(hits[0]!.headers['user-agent']).toBe('sluice-load');
    expect(out.ok).toBe(true);
    expect(out.details).toEqual({ load: { sent: hits.length, answered: hits.length, serverErrors: Math.floor(hits.length / 10), unanswered: 0 } });
    expect(out.message).toMatch(new RegExp(`^sent ${hits.length} requests in 1\\.\\ds .* ${hits.length} answered \\(${Math.floor(hits.length / 10)} with 5xx\\), 0 without a response$`));
  });

  it('fails when the target cannot be reached', async () => {
    const gone = await Receiver.start();
    await gone.close();
    const out = await new LoadRunner().run(request(`${gone.url}/`, 50, 300), new AbortController().signal);
    expect(out.ok).toBe(false);
    expect(out.message).toMatch(/^the load did not get through: sent \d+ requests .* 0 answered \(0 with 5xx\), \d+ without a response$/);
  });

  it('stops early when cancelled', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const pending = new LoadRunner().run(request(`${rx.url}/cancel`, 20, 60_000), ac.signal);
    setTimeout(() => ac.abort(), 200);
    const out = await pending;
    expect(out).toMatchObject({ ok: false, cancelled: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
