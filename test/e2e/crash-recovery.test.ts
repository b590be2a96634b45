import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { freePort } from '../../src/cli/demo.js';
import { startSampleService, type SampleService } from '../../src/demo/sample-service.js';
import type { StoredEvent } from '../../src/store/store.js';
import { rolloutYaml, startServer, waitFor, writeTemp, type ServerProcess } from './harness.js';

/**
 * Intent before effect: SIGKILL the real server in the middle of a rollout,
 * start it again on the same data directory, and the rollout resumes at its
 * persisted step, the proxy serves the persisted split, and the history has
 * every event exactly once.
 */
describe('crash recovery', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('resumes a rollout after SIGKILL with the same routes and no event lost or duplicated', async () => {
    const stable: SampleService = await startSampleService({ version: 'v1' });
    const canary: SampleService = await startSampleService({ version: 'v2' });
    cleanup.push(() => stable.close(), () => canary.close());
    const listen = `127.0.0.1:${await freePort()}`;
    const file = writeTemp(
      'crash.yaml',
      rolloutYaml({ name: 'crashy', listen, stable: stable.url, canary: canary.url, steps: '- setWeight: 20\n- pause: {duration: 8s}\n- setWeight: 40\n- pause: {}' }),
    );

    let server = await startServer();
    const dataDir = server.dataDir;
    const cli = (...args: string[]) => server.cli(...args);
    const status = async () => JSON.parse((await cli('status', 'crashy', '-o', 'json')).stdout);
    const events = async (): Promise<StoredEvent[]> => JSON.parse((await cli('history', 'crashy', '-o', 'json')).stdout).events;

    expect((await cli('apply', '-f', file)).code).toBe(0);
    await waitFor(async () => (await status()).canaryWeight === 20, 'weight 20');
    const beforeKill = await events();
    await server.kill();

    server = await startServer(dataDir);
    cleanup.push(() => server.stop());
    // After the restart the rollout carries on from its persisted step (never from step 0)…
    const resumed = await status();
    expect(resumed.step.index).toBeGreaterThanOrEqual(1);
    expect(resumed.canaryWeight).toBeGreaterThanOrEqual(20);
    // …and it goes on to the gate at 40%.
    await waitFor(async () => (await status()).phase === 'paused', 'the gate after the restart');
    const atGate = await status();
    expect(atGate.canaryWeight).toBe(40);

    const after = await events();
    expect(after.slice(0, beforeKill.length)).toEqual(beforeKill);
    expect(new Set(after.map((e) => e.seq)).size).toBe(after.length);
    expect(after.filter((e) => e.type === 'started')).toHaveLength(1);
    expect(after.filter((e) => e.type === 'weight-changed' && (e.data as { to?: number })?.to === 20)).toHaveLength(1);
    expect(after.filter((e) => e.type === 'weight-changed' && (e.data as { to?: number })?.to === 40)).toHaveLength(1);
    expect(after.some((e) => e.type === 'routes-confirmed' && e.message.includes('restart'))).toBe(true);

    // Crash again at the gate: the proxy comes back with the persisted 60/40 split.
    const beforeSecondKill = await events();
    await server.kill();
    server = await startServer(dataDir);
    const again = await status();
    expect(again.phase).toBe('paused');
    expect(again.canaryWeight).toBe(40);
    let canaryHits = 0;
    const n = 600;
    for (let i = 0; i < n; i++) {
      const res = await request(`http://${listen}/r${i}`);
      if (res.headers['x-sluice-version'] === 'canary') canaryHits++;
      await res.body.dump();
    }
    // Binomial(600, 0.4): mean 240, sd 12; ±5 sd.
    expect(canaryHits).toBeGreaterThan(180);
    expect(canaryHits).toBeLessThan(300);
    const final = await events();
    expect(final.slice(0, beforeSecondKill.length)).toEqual(beforeSecondKill);
    expect(final.filter((e) => e.type === 'paused')).toHaveLength(1);

    expect((await cli('promote', 'crashy')).code).toBe(0);
    await waitFor(async () => (await status()).phase === 'promoted', 'promotion');
  }, 90_000);
});
