import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../cli/demo.js';
import { Receiver } from '../hooks/testing.js';
import { silentLogger } from '../log/logger.js';
import { ApproveLinks, loadApproveKey } from '../notify/approve-link.js';
import type { WebhookNotification } from '../notify/index.js';
import type { Rollout } from '../spec/types.js';
import { parseServerConfig } from '../spec/server-config.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';

/**
 * A paused rollout's notification carries an approve link; the link works
 * once, through the real control plane, across a restart.
 */
describe('approve links on a real control plane', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-approve-'));
  let rx: Receiver;
  let plane: ControlPlane;
  let listen: string;

  beforeAll(async () => {
    rx = await Receiver.start();
    process.env.SLUICE_TEST_APPROVE_KEY = 'approve-test-key';
    plane = await startControlPlane({ api: '127.0.0.1:0', dataDir, logger: silentLogger, tickMs: 50 });
    listen = `127.0.0.1:${await freePort()}`;
  });
  afterAll(async () => {
    await plane?.close();
    await rx?.close();
  });

  const rollout = (): Rollout => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web' },
    spec: {
      service: { listen, stable: { upstreams: ['http://127.0.0.1:9'] }, canary: { upstreams: ['http://127.0.0.1:10'] } },
      steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }],
      onFailure: 'rollback',
      onInconclusive: 'pause',
      notifications: [{ name: 'ops', type: 'webhook', url: `${rx.url}/notify`, on: ['paused', 'promoted'], secretEnv: 'SLUICE_TEST_APPROVE_KEY', timeout: 2000 }],
    },
  });

  const pausedNotices = () => rx.at('/notify').map((r) => r.json as WebhookNotification).filter((n) => n.event === 'paused');
  async function until<T>(what: string, fn: () => T | undefined | false, ms = 10_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const post = (url: string, json = false) =>
    request(url, { method: 'POST', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: json ? 'application/json' : 'text/html' } });

  it('GET shows what the link does without doing it; POST promotes the step once; a second use is a 410', async () => {
    await plane.controller.apply(rollout(), 'alice');
    const [notice] = await until('the paused notification', () => pausedNotices().length === 1 && pausedNotices());
    expect(notice!.approveUrl).toMatch(new RegExp(`^${plane.url}/api/v1/approve/v1\\.web\\.[\\w.-]+$`));
    expect(notice!.step).toBe(2);

    for (let i = 0; i < 2; i++) {
      const page = await request(notice!.approveUrl!, { headers: { accept: 'text/html' } });
      expect(page.statusCode).toBe(200);
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      const html = await page.body.text();
      expect(html).toContain('<form method="post"><button type="submit">Approve step 2 of web</button></form>');
    }
    expect(plane.controller.get('web')!.state).toMatchObject({ phase: 'paused', stepIndex: 1 });

    const approved = await post(notice!.approveUrl!);
    expect(approved.statusCode).toBe(200);
    expect(await approved.body.text()).toContain('Approved: web goes on');
    expect(plane.controller.get('web')!.state).toMatchObject({ phase: 'paused', stepIndex: 3, canaryWeight: 50 });
    const resumed = plane.controller.events('web').find((e) => e.type === 'resumed')!;
    expect(resumed.actor).toMatch(/^approve-link:[\w-]{12}$/);

    const again = await post(notice!.approveUrl!, true);
    expect(again.statusCode).toBe(410);
    expect(await again.body.json()).toMatchObject({ error: { code: 'SLUICE_APPROVE_USED', message: expect.stringContaining('already used') } });
  });

  it('a used link stays used after a restart, a fresh one still works, and bad or expired links get a clear page', async () => {
    const notices = await until('the second paused notification', () => pausedNotices().length === 2 && pausedNotices());
    const [first, second] = notices as [WebhookNotification, WebhookNotification];
    await plane.close();
    plane = await startControlPlane({ api: '127.0.0.1:0', dataDir, logger: silentLogger, tickMs: 50 });
    // The links name the old API port; the path is what matters.
    const here = (url: string) => `${plane.url}${new URL(url).pathname}`;

    const used = await post(here(first.approveUrl!));
    expect(used.statusCode).toBe(410);
    expect(await used.body.text()).toContain('<h1>This link was already used</h1>');

    const tampered = here(second.approveUrl!).replace(/\.([\w-]+)$/, '.AAAA$1').slice(0, -4);
    const bad = await post(tampered, true);
    expect(bad.statusCode).toBe(400);
    expect(((await bad.body.json()) as { error: { code: string } }).error.code).toBe('SLUICE_APPROVE_BAD_SIGNATURE');

    const expired = new ApproveLinks({ key: loadApproveKey(dataDir), baseUrl: () => plane.url, ttlMs: 1, now: () => Date.now() - 60_000 }).create({ rollout: 'web', revision: 1, startedAt: 0, step: 3 });
    const old = await request(expired.url, { headers: { accept: 'text/html' } });
    expect(old.statusCode).toBe(410);
    expect(await old.body.text()).toContain('<h1>This link has expired</h1>');

    const ok = await post(here(second.approveUrl!), true);
    expect(ok.statusCode).toBe(200);
    await until('promotion', () => plane.controller.get('web')!.state.phase === 'promoted');
    await until('the promoted notification', () => rx.at('/notify').some((r) => (r.json as WebhookNotification).event === 'promoted'));
    const stale = await post(here(first.approveUrl!), true);
    expect(stale.statusCode).toBe(410);
  });

  it('links use the public URL when one is set (sluice up --public-url, ServerConfig publicUrl)', async () => {
    const other = await startControlPlane({ api: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sluice-approve-')), logger: silentLogger, tickMs: 50, publicUrl: 'https://sluice.example.com/' });
    try {
      const r = rollout();
      await other.controller.apply({ ...r, metadata: { name: 'public' }, spec: { ...r.spec, service: { ...r.spec.service, listen: `127.0.0.1:${await freePort()}` } } }, 'alice');
      const notice = await until('its paused notification', () =>
        rx.at('/notify').map((x) => x.json as WebhookNotification).find((n) => n.rollout === 'public' && n.event === 'paused'),
      );
      expect(notice.approveUrl).toMatch(/^https:\/\/sluice\.example\.com\/api\/v1\/approve\/v1\.public\./);
    } finally {
      await other.close();
    }
    const head = 'apiVersion: sluice.dev/v1alpha1\nkind: ServerConfig\nspec:\n  publicUrl: ';
    expect(parseServerConfig(`${head}https://sluice.example.com\n`, 'c.yaml').config?.publicUrl).toBe('https://sluice.example.com');
    expect(parseServerConfig(`${head}sluice.example.com\n`, 'c.yaml').errors[0]?.message).toContain('is not a valid URL');
  });
});
