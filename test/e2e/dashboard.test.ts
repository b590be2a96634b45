import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/demo.js';
import { startLoad, type Load } from '../../src/demo/load.js';
import { startSampleService, type SampleService } from '../../src/demo/sample-service.js';
import { launchChromium, openPage, screenshot, signIn } from './dashboard-browser.js';
import { rolloutYaml, startServer, waitFor, type ServerProcess } from './harness.js';

/**
 * The dashboard in Debian's Chromium against a real `sluice up`, real sample
 * upstreams and real load: sign in with the admin token, watch a rollout
 * progress live, abort it and see the rollback; a viewer sees no buttons; a
 * bad token is refused with a clear message. Screenshots land in
 * test-output/screenshots/.
 */
describe('dashboard in Chromium', () => {
  let server: ServerProcess;
  let context: BrowserContext;
  let stable: SampleService;
  let canary: SampleService;
  let load: Load | undefined;
  let listen: string;

  beforeAll(async () => {
    context = await launchChromium();
    server = await startServer();
    stable = await startSampleService({ version: 'v1', delayMs: 3, jitterMs: 2 });
    canary = await startSampleService({ version: 'v2', delayMs: 6, jitterMs: 4 });
    listen = `127.0.0.1:${await freePort()}`;
  });
  afterAll(async () => {
    await load?.stop();
    await context?.close();
    await server?.stop();
    await stable?.close();
    await canary?.close();
  });

  const api = async (method: string, path: string, body?: unknown, token = server.token) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(typeof body === 'string' ? { 'content-type': 'application/yaml' } : body ? { 'content-type': 'application/json' } : {}) },
      body: typeof body === 'string' ? body : body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };
  const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent({ timeout: 1000 })) ?? '').trim();
  /** A time as the dashboard shows it everywhere: local date and time with its zone. */
  const TIME = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC(?:[+−]\d{1,2}(?::\d\d)?)?`;
  /** Each shown decision's sequence number and the number the list gives it, top to bottom. */
  const numbered = (page: Page) => page.locator('ol.decisions > li.decision').evaluateAll((lis) => lis.map((li) => [Number(li.getAttribute('data-seq')), Number(li.getAttribute('value'))] as const));
  /** Sequence numbers of a rollout's stored events, oldest first. */
  const storedSeqs = async (name: string) => ((await api('GET', `/rollouts/${name}/events?limit=1000`)).json.events as Array<{ seq: number }>).map((e) => e.seq);

  it('signs in with the admin token, shows a rollout progressing live with charts and explained decisions, and aborts it back to stable', async () => {
    const watched = await openPage(context, server.url);
    const { page, problems, requests } = watched;
    await signIn(watched, server.token);
    await page.getByText('Signed in as admin (admin)').waitFor();
    await page.getByText('● live').waitFor();

    // The rollout starts while the dashboard watches: it appears through the event stream.
    load = startLoad(`http://${listen}`, 80);
    const yaml = rolloutYaml({
      name: 'web',
      listen,
      stable: stable.url,
      canary: canary.url,
      steps: '- setWeight: 10\n- pause: {duration: 3s}\n- setWeight: 30\n- pause: {duration: 3s}\n- setWeight: 50\n- pause: {}',
      analysis: 'interval: 1s\nminRequests: 2\ninconclusiveLimit: 10\nmetrics:\n  - {name: success-rate, min: 90}\n  - {name: latency-p99, max: 2000}',
    });
    expect((await api('POST', '/rollouts', yaml)).status).toBe(201);
    await page.locator('tr[data-rollout="web"] a').click();
    await page.locator('#detail-heading', { hasText: 'web' }).waitFor();

    // Watch it progress: the traffic split and the current step change on their own.
    const splits: string[] = [];
    const steps: string[] = [];
    await waitFor(
      async () => {
        const split = await text(page, '#traffic-split .split-text');
        const step = await text(page, '.steps li[aria-current="step"] .step-text').catch(() => '');
        if (split && splits.at(-1) !== split) splits.push(split);
        if (step && steps.at(-1) !== step) steps.push(step);
        if (step !== 'pause until promoted (manual gate)' || (await text(page, '#rollout-phase')) !== 'paused (manual gate)') return false;
        // The page may have moved on between reading the split and the step: read the split again.
        const settled = await text(page, '#traffic-split .split-text');
        if (settled && splits.at(-1) !== settled) splits.push(settled);
        return /canary 50%/.test(settled);
      },
      'the rollout to reach its manual gate in the dashboard',
      40_000,
      50,
    ).catch(async (err: Error) => {
      await screenshot(page, 'dashboard-failed');
      throw new Error(`${err.message}; the page says "${await text(page, '#rollout-phase')}: ${await text(page, '#rollout-message')}"; splits seen: ${splits.join(' | ')}; load ${JSON.stringify(load?.stats)}; served: stable ${stable.served.total}, canary ${canary.served.total}`);
    });
    const weights = splits.map((s) => Number(/canary (\d+)%/.exec(s)?.[1]));
    expect(weights.length, splits.join(' | ')).toBeGreaterThanOrEqual(2);
    expect(weights).toEqual([...weights].sort((a, b) => a - b));
    expect(weights.at(-1)).toBe(50);
    expect(steps.length, steps.join(' | ')).toBeGreaterThanOrEqual(2);
    expect(await page.locator('tr[data-rollout="web"] .step').textContent()).toContain('step 6/6');

    // Live charts: both versions drawn from the metrics events, with decision markers.
    const requestRate = page.locator('figure.chart', { hasText: 'Request rate' });
    await waitFor(async () => Number(await requestRate.locator('path.line.canary').getAttribute('data-points')) >= 3, 'canary points on the request-rate chart');
    expect(Number(await requestRate.locator('path.line.stable').getAttribute('data-points'))).toBeGreaterThanOrEqual(3);
    expect(await requestRate.locator('g.marker').count()).toBeGreaterThanOrEqual(2);
    expect(await requestRate.locator('.chart-latest').textContent()).toMatch(/stable [\d.]+ rps · canary [\d.]+ rps/);

    // Each decision with its numbers: a check's metrics against their bounds.
    const check = page.locator('li.decision[data-type="check"]').first();
    await check.locator('summary').click();
    await expect(check.locator('table').textContent()).resolves.toMatch(/success-rate\s*pass/);
    expect(await page.locator('li.decision[data-type="weight-changed"]').count()).toBeGreaterThanOrEqual(2);
    const numbersBefore = await numbered(page);
    await screenshot(page, 'dashboard-progressing');

    // At a manual gate only Promote passes (an approval): Resume is off.
    expect(await page.getByRole('button', { name: 'Resume' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Promote', exact: true }).isEnabled()).toBe(true);

    // Abort: the operator's button sends all traffic back to stable.
    await page.getByRole('button', { name: 'Abort' }).click();
    await page.locator('#rollout-phase', { hasText: 'aborted' }).waitFor();
    await page.locator('#traffic-split', { hasText: 'stable 100% · canary 0% (confirmed by the data plane)' }).waitFor();
    await page.locator('li.decision[data-type="aborted"]', { hasText: 'by admin' }).waitFor();
    await page.locator('.steps li[data-state="stopped"]', { hasText: 'pause until promoted' }).waitFor();
    expect(await page.getByRole('button', { name: 'Abort' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Retry' }).isEnabled()).toBe(true);
    await page.locator('table.history tr[data-revision="1"]', { hasText: 'aborted' }).waitFor();

    // Each decision is numbered by its place in the rollout's history (oldest = 1), newest first,
    // and keeps its number as newer ones arrive.
    let expected = '';
    let numbersAfter: Awaited<ReturnType<typeof numbered>> = [];
    await waitFor(async () => {
      // Read the page first: what it lists was stored before it was streamed.
      numbersAfter = await numbered(page);
      expected = JSON.stringify((await storedSeqs('web')).map((seq, i) => [seq, i + 1]).reverse());
      return JSON.stringify(numbersAfter) === expected;
    }, 'the decisions numbered by their place in the stored history').catch((err: Error) => {
      throw new Error(`${err.message}: the page numbers ${JSON.stringify(numbersAfter)}, the history says ${expected}`);
    });
    expect(numbersBefore.length).toBeGreaterThan(0);
    expect(numbersAfter.length).toBeGreaterThan(numbersBefore.length);
    for (const [seq, n] of numbersBefore) expect(numbersAfter.find(([s]) => s === seq)?.[1], `decision ${seq}`).toBe(n);

    // Times say their zone, the same way on every part of the page.
    expect(await text(page, 'li.decision .decision-head time')).toMatch(new RegExp(`^${TIME}$`));
    expect(await text(page, 'table.history tr[data-revision="1"] td')).toMatch(new RegExp(`^${TIME}$`));
    expect(await text(page, '.detail-head .revision')).toMatch(new RegExp(`^revision 1 · started ${TIME} · finished ${TIME}$`));
    expect(await page.locator('tr[data-rollout="web"]').getAttribute('title')).toMatch(new RegExp(`\\(updated ${TIME}\\)$`));

    // The data plane agrees: the server says aborted, and the canary serves nothing more.
    const view = (await api('GET', '/rollouts/web')).json;
    expect(view).toMatchObject({ phase: 'aborted', routesConfirmed: true, routes: { canaryWeight: 0 } });
    const canaryServed = canary.served.total;
    const stableServed = stable.served.total;
    await waitFor(() => stable.served.total >= stableServed + 80, 'more stable traffic after the abort');
    expect(canary.served.total - canaryServed).toBeLessThanOrEqual(2);
    await screenshot(page, 'dashboard-aborted');

    // Nothing was blocked by the Content-Security-Policy or failed in the page, and nothing left the server's origin.
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith(server.url))).toEqual([]);

    // Signing out forgets the token: a reload shows the sign-in form.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    await page.reload();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.close();
  }, 120_000);

  it('explains an automatic rollback by the sequential judge: the rule, its statistic against the threshold and the counts', async () => {
    const good = await startSampleService({ version: 'v1', errorRate: 0.01 });
    const bad = await startSampleService({ version: 'v2', errorRate: 0.3 });
    const listenApi = `127.0.0.1:${await freePort()}`;
    const apiLoad = startLoad(`http://${listenApi}`, 80);
    try {
      const watched = await openPage(context, server.url);
      const { page, problems } = watched;
      await signIn(watched, server.token);
      const yaml = rolloutYaml({ name: 'api', listen: listenApi, stable: good.url, canary: bad.url, steps: '- setWeight: 50\n- pause: {duration: 1m}', analysis: 'judge: {alpha: 0.01}' });
      expect((await api('POST', '/rollouts', yaml)).status).toBe(201);
      await page.locator('tr[data-rollout="api"] a').click();
      await page.locator('#rollout-phase', { hasText: 'rolled-back' }).waitFor({ timeout: 40_000 });
      await page.locator('#traffic-split', { hasText: 'stable 100% · canary 0%' }).waitFor();

      const decision = page.locator('li.decision[data-type="rolled-back"]');
      await decision.locator('summary').click();
      expect(await decision.locator('.explain.judge').textContent()).toContain('Rule: sequential-judge');
      expect(await page.locator('.analysis').textContent()).toContain('Sequential judge: failed the canary');
      const facts = (await decision.locator('.judge-test').first().textContent()) ?? '';
      const m = /statistic \(log Bayes factor\)([-\d.]+) against threshold ([-\d.]+)/.exec(facts);
      expect(m, facts).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(Number(m![2]));
      expect(facts).toMatch(/canary(\d+) errors of (\d+) requests/);
      // What the page shows is what the server stored.
      const stored = (await api('GET', '/rollouts/api/events')).json.events.find((e: { type: string }) => e.type === 'rolled-back');
      expect(facts).toContain(`${stored.data.judge.errors.counts.canaryErrors} errors of ${stored.data.judge.errors.counts.canaryRequests} requests`);

      // The same decision for a guarded flag rollout speaks of users: the page's own modules, given the flag's sides.
      // (A string, so vitest leaves its import() alone: the browser loads the modules it serves.)
      const flagWords = (await page.evaluate(`(async (event) => {
        const { explainEvent, explainCheck } = await import('/assets/js/web/src/explain.js');
        const { sidesOf } = await import('/assets/js/web/src/flag-rollout.js');
        const sides = sidesOf({ variantSide: 'search-v2=on' });
        const judged = document.createElement('div');
        judged.append(...explainEvent(event, sides));
        const window = { requests: 10, errors: 0, successRate: 100, p99: 5 };
        const check = explainCheck({ verdict: 'pass', from: 0, to: 1000, metrics: [{ name: 'success-rate', verdict: 'pass', value: 100, stableValue: 100, min: 90, samples: 10, reason: 'ok' }], canary: window, stable: window }, sides);
        return {
          terms: [...judged.querySelectorAll('dt')].map((dt) => dt.textContent),
          headers: [...check.querySelectorAll('thead th')].map((th) => th.textContent),
          windows: [...check.querySelectorAll('.windows li')].map((li) => li.textContent.split(':')[0]),
        };
      })(${JSON.stringify(stored)})`)) as { terms: string[]; headers: string[]; windows: string[] };
      expect(flagWords.terms).toContain('users on search-v2=on');
      expect(flagWords.terms).toContain('everyone else');
      expect(flagWords.terms.filter((t: string) => /canary|stable/.test(t))).toEqual([]);
      expect(flagWords.headers).toEqual(['Metric', 'Verdict', 'Users on search-v2=on', 'Everyone else', 'Bound', 'Samples', 'Reason']);
      expect(flagWords.windows).toEqual(['users on search-v2=on', 'everyone else']);
      await page.locator('figure.chart g.marker.bad').first().waitFor();
      await screenshot(page, 'dashboard-judge-rollback');
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await apiLoad.stop();
      await good.close();
      await bad.close();
    }
  }, 90_000);

  it('shows a viewer everything but the operator buttons', async () => {
    const created = await api('POST', '/tokens', { name: 'watcher', role: 'viewer' });
    expect(created.status).toBe(201);
    const watched = await openPage(context, server.url);
    const { page, problems } = watched;
    await signIn(watched, created.json.secret as string);
    await page.getByText('Signed in as watcher (viewer)').waitFor();
    // The tab keeps its session across a reload.
    await page.reload();
    await page.getByText('Signed in as watcher (viewer)').waitFor();
    await page.locator('tr[data-rollout="web"] a').click();
    await page.locator('#rollout-phase', { hasText: 'aborted' }).waitFor();
    await page.locator('li.decision[data-type="aborted"]').first().waitFor();
    expect(await page.locator('.controls').count()).toBe(0);
    for (const name of ['Promote', 'Promote fully', 'Abort', 'Retry', 'Pause', 'Resume']) expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    await screenshot(page, 'dashboard-viewer');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('refuses a bad token with a message that says what is wrong and where a token comes from', async () => {
    const watched = await openPage(context, server.url);
    const { page, problems } = watched;
    const alert = page.getByRole('alert');
    const cases = [
      { token: `sluice_000000000000_${'A'.repeat(43)}`, says: 'the token is not known to this server' },
      { token: 'hunter2', says: 'the token is not a Sluice token' },
    ];
    for (const c of cases) {
      await signIn(watched, c.token);
      await alert.filter({ hasText: c.says }).waitFor();
      expect(await alert.textContent()).toMatch(/^This token was refused: .*admin-token/);
    }
    expect(await page.getByText('Signed in as').count()).toBe(0);
    expect(await page.locator('#token-help').textContent()).toContain('<data-dir>/admin-token');
    await screenshot(page, 'dashboard-bad-token');
    expect(problems).toEqual([]);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.close();
  }, 60_000);
});
