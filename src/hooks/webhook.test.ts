import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HookSpec } from '../spec/lifecycle-types.js';
import { createHookRunner, HookError, runnerTypeOf } from './index.js';
import type { HookRequest } from './runner.js';
import { Receiver } from './testing.js';
import { WebhookRunner } from './webhook.js';

/** The webhook runner against a real HTTP receiver. */
describe('WebhookRunner', () => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await Receiver.start();
  });
  afterAll(() => rx.close());

  const runner = new WebhookRunner({ retryDelayMs: 20 });
  const request = (hook: Partial<HookSpec>, path = '/hook'): HookRequest => ({
    rollout: 'checkout',
    revision: 3,
    runId: '1700.4',
    hook: { name: 'smoke', type: 'rollout', url: `${rx.url}${path}`, timeout: 2000, retries: 0, ...hook },
    phase: 'rollout',
    rolloutPhase: 'progressing',
    step: 3,
    steps: 4,
    stepIndex: 2,
    canaryWeight: 25,
  });

  it('POSTs the Flagger-style payload and passes on a 2xx', async () => {
    rx.answer({ status: 202 });
    const out = await runner.run(request({ metadata: { cmd: 'curl -s http://x/', team: 'pay' } }, '/ok'), new AbortController().signal);
    expect(out).toMatchObject({ ok: true, status: 202, attempts: 1, message: 'answered 202' });
    const [got] = rx.at('/ok');
    expect(got!.method).toBe('POST');
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['x-sluice-hook']).toBe('smoke');
    expect(got!.headers['x-sluice-hook-run']).toBe('1700.4');
    expect(got!.json).toEqual({
      name: 'checkout', phase: 'rollout', hook: 'smoke', revision: 3, step: 3, steps: 4, stepIndex: 2, canaryWeight: 25, rolloutPhase: 'progressing',
      metadata: { cmd: 'curl -s http://x/', team: 'pay' },
    });
  });

  it('retries a non-2xx answer and reports the last one with its body', async () => {
    let n = 0;
    rx.answer(() => (++n < 3 ? { status: 503, body: 'warming up\n  please wait' } : { status: 200 }));
    const passes = await runner.run(request({ retries: 2 }, '/flaky'), new AbortController().signal);
    expect(passes).toMatchObject({ ok: true, attempts: 3 });
    rx.answer({ status: 418, body: 'no tea' });
    const fails = await runner.run(request({ retries: 1 }, '/teapot'), new AbortController().signal);
    expect(fails).toMatchObject({ ok: false, status: 418, attempts: 2, message: "answered 418 I'm a Teapot: no tea" });
    expect(rx.at('/teapot')).toHaveLength(2);
  });

  it('fails an attempt that takes longer than the timeout', async () => {
    rx.answer({ status: 200, delayMs: 1000 });
    const out = await runner.run(request({ timeout: 100 }, '/slow'), new AbortController().signal);
    expect(out).toMatchObject({ ok: false, attempts: 1, message: 'no answer within 100ms' });
    expect(out.durationMs).toBeLessThan(900);
  });

  it('reports an unreachable receiver as data, not an exception', async () => {
    const closed = await Receiver.start();
    const url = closed.url;
    await closed.close();
    const out = await runner.run({ ...request({}), hook: { ...request({}).hook, url: `${url}/x?token=secret` } }, new AbortController().signal);
    expect(out.ok).toBe(false);
    expect(out.message).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+\/x \(ECONNREFUSED\)/);
    expect(out.message).not.toContain('secret');
  });

  it('stops retrying when cancelled and says so', async () => {
    rx.answer({ status: 500 });
    const ac = new AbortController();
    const slow = new WebhookRunner({ retryDelayMs: 5000 });
    const pending = slow.run(request({ retries: 5 }, '/cancel'), ac.signal);
    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    expect(await pending).toMatchObject({ ok: false, cancelled: true, attempts: 1 });
  });
});

describe('createHookRunner', () => {
  it('picks the runner by type and refuses unknown types', () => {
    expect(createHookRunner('webhook').type).toBe('webhook');
    expect(createHookRunner('load').type).toBe('load');
    expect(createHookRunner('noop').type).toBe('noop');
    expect(createHookRunner('memory').type).toBe('memory');
    expect(() => createHookRunner('grpc')).toThrow(HookError);
    expect(() => createHookRunner('grpc')).toThrow(/unknown hook runner type "grpc"; known types are webhook, load, memory, noop/);
    expect(runnerTypeOf({ name: 'l', type: 'load', url: 'http://x/', timeout: 1, retries: 0 })).toBe('load');
    expect(runnerTypeOf({ name: 'g', type: 'confirm-promotion', url: 'http://x/', timeout: 1, retries: 0 })).toBe('webhook');
  });
});
