import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, screenshot, signIn, type WatchedPage } from './dashboard-browser.js';
import { startServer, type ServerProcess } from './harness.js';

/**
 * The dashboard's flags page in Debian's Chromium against a real `sluice up`:
 * flags applied through the API are listed per environment with their rules
 * in words; an operator turns one off and sets a percentage through the
 * page (and sees the server's refusal when it refuses); changes made
 * elsewhere show up without a reload; a guarded flag rollout appears beside
 * traffic rollouts and on its flag's page; a viewer sees no controls.
 */

const FLAGS = `apiVersion: sluice.dev/v1alpha1
kind: FlagSet
metadata: {name: shop, environment: production}
spec:
  segments:
    beta-testers:
      conditions: [{attribute: email, endsWith: "@example.com"}]
  flags:
    new-checkout:
      description: The one-page checkout
      variants: {on: true, off: false}
      defaultVariant: off
      rules:
        - name: nz-pro
          conditions: [{attribute: country, equals: NZ}, {attribute: plan, in: [pro, team]}]
          serve: on
        - name: beta
          conditions: [{segment: beta-testers}, {attribute: app.version, semverGte: 2.1.0}]
          split: {on: 50}
      split: {on: 10}
    banner:
      variants: {blue: "#00f", red: "#f00"}
      defaultVariant: blue
    search-v2:
      variants: {on: true, off: false}
      defaultVariant: off
---
apiVersion: sluice.dev/v1alpha1
kind: FlagSet
metadata: {name: shop, environment: staging}
spec:
  flags:
    staging-only: {variants: {on: true, off: false}, defaultVariant: on}
`;

const GUARDED = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: search}
spec:
  flag: {environment: production, key: search-v2, variant: on}
  strategy:
    canary:
      steps:
        - setWeight: 20
        - pause: {}
`;

describe('dashboard flags page in Chromium', () => {
  let server: ServerProcess;
  let context: BrowserContext;

  beforeAll(async () => {
    [context, server] = await Promise.all([launchChromium(), startServer()]);
    const applied = await api('POST', '/flagsets', FLAGS);
    expect(applied.status, JSON.stringify(applied.json)).toBe(201);
  });
  afterAll(async () => {
    await context?.close();
    await server?.stop();
  });

  async function api(method: string, path: string, body?: unknown, token = server.token) {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(typeof body === 'string' ? { 'content-type': 'application/yaml' } : body ? { 'content-type': 'application/json' } : {}) },
      body: typeof body === 'string' ? body : body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  }
  /** What the page shows there, cells and lines separated by single spaces. */
  const text = async (page: Page, selector: string) => (await page.locator(selector).first().innerText({ timeout: 2000 })).replace(/\s+/g, ' ').trim();
  /** Problems on the page other than the refusals a test provoked on purpose. */
  /** A time as the dashboard shows it everywhere: local date and time with its zone. */
  const TIME = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC(?:[+−]\d{1,2}(?::\d\d)?)?`;
  const unexpected = (w: WatchedPage) => w.problems.filter((p) => !/status of 400/.test(p));

  async function signedIn(token = server.token): Promise<WatchedPage> {
    const watched = await openPage(context, server.url);
    await signIn(watched, token);
    await watched.page.getByText('● live').waitFor();
    return watched;
  }

  it('lists flags per environment, shows one with its rules in words, and lets an operator turn it off and set a percentage', async () => {
    const watched = await signedIn();
    const { page } = watched;
    await page.getByRole('link', { name: 'Flags', exact: true }).click();
    const row = page.locator('tr[data-flag="new-checkout"]');
    await row.waitFor();
    expect(await text(page, 'tr[data-flag="new-checkout"]')).toMatch(new RegExp(`^new-checkout shop on on 10% · off 90% 2 ${TIME} by admin –$`));
    expect(await text(page, 'tr[data-flag="banner"] td:nth-child(4)')).toBe('blue to everyone');

    // Several environments: a selector, and the hash names the one shown.
    await page.getByLabel('Environment').selectOption('staging');
    await page.locator('tr[data-flag="staging-only"]').waitFor();
    expect(await page.locator('tr[data-flag="new-checkout"]').count()).toBe(0);
    expect(new URL(page.url()).hash).toBe('#/flags/staging');
    await page.getByLabel('Environment').selectOption('production');
    await screenshot(page, 'dashboard-flags-list');

    await page.getByRole('link', { name: 'new-checkout' }).click();
    await page.locator('#flag-heading', { hasText: 'new-checkout' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/flags/production/new-checkout');
    // The heading is there at once; the flag's state once the flag is loaded.
    await page.locator('#flag-state.on').waitFor();
    expect(await text(page, '#flag-state')).toBe('on');
    expect(await text(page, '#flag-description')).toBe('The one-page checkout');
    expect(await text(page, '#flag-rules li[data-rule="nz-pro"] .rule-text')).toBe('If country equals NZ and plan is one of [pro, team] → serve on');
    expect(await text(page, '#flag-rules li[data-rule="beta"] .rule-text')).toBe('If in segment beta-testers and app.version is version 2.1.0 or above → split on 50% · off 50%');
    expect(await text(page, 'dd[data-segment="beta-testers"]')).toBe('email ends with @example.com');
    expect(await text(page, '#flag-serving')).toContain('After 2 targeting rules, everyone else: on 10% · off 90% (default, the rest)');
    expect(await text(page, '#flag-serving')).toContain('hash of targetingKey (salt new-checkout)');
    expect(await text(page, 'tr[data-variant="off"]')).toBe('off false default, off');
    expect(await text(page, 'tr[data-variant="on"]')).toBe('on true split 10%');
    await page.locator('table.flag-history tbody tr').first().waitFor();
    expect(await text(page, 'table.flag-history tbody tr')).toContain('admin flag "new-checkout" created');
    expect(await text(page, '#flag-meta')).toBe('production · flag set shop · boolean');
    expect(await text(page, '#flag-last-change')).toMatch(new RegExp(`^last changed ${TIME} by admin$`));
    expect(await text(page, 'table.flag-history tbody tr td.time')).toMatch(new RegExp(`^${TIME}$`));

    // Turn it off through the page.
    await page.getByRole('button', { name: 'Turn off' }).click();
    await page.locator('#flag-state', { hasText: 'off' }).waitFor();
    await page.locator('#flag-status', { hasText: 'Done: flag "new-checkout": turned off (serving "off")' }).waitFor();
    await page.getByRole('button', { name: 'Turn on' }).waitFor();
    expect(await text(page, '#flag-serving')).toContain('Off: everyone gets off. Rules and split are kept, not applied. When turned on: after 2 targeting rules, everyone else: on 10% · off 90% (default, the rest)');

    // A percentage the server refuses: its own message, as it says it.
    await page.getByLabel('to', { exact: true }).fill('12.3456');
    await page.getByRole('button', { name: 'Set percentage' }).click();
    await page.locator('#flag-status.error', { hasText: 'percent must be a number from 0 to 100 in steps of 0.001' }).waitFor();
    expect(await text(page, '#flag-status')).toMatch(/^Could not serve on to 12\.3456% of users: .*\(SLUICE_FLAG_INVALID_CHANGE\)$/);

    await page.getByLabel('Serve', { exact: true }).selectOption('on');
    await page.getByLabel('to', { exact: true }).fill('25');
    await page.getByRole('button', { name: 'Set percentage' }).click();
    await page.locator('#flag-status', { hasText: 'split on 10% → on 25%' }).waitFor();
    // Set while off, the split is kept, not served: the page says so rather than a bare "Done".
    expect(await text(page, '#flag-status')).toBe('Done: flag "new-checkout": split on 10% → on 25%. The flag is still off: everyone gets "off" until it is turned on, then the new split applies.');
    expect(await text(page, '#flag-state')).toBe('off');
    expect(await page.getByRole('button', { name: 'Set percentage' }).isEnabled()).toBe(true);

    // The server has it so, and says who did it.
    const flag = (await api('GET', '/flags/production/new-checkout')).json;
    expect(flag.definition).toMatchObject({ enabled: false, split: { on: 25 } });
    const history = (await api('GET', '/flags/production/new-checkout/history')).json.events as Array<{ actor: string; message: string }>;
    expect(history.slice(-2).map((e) => [e.actor, e.message])).toEqual([
      ['admin', 'flag "new-checkout": turned off (serving "off")'],
      ['admin', 'flag "new-checkout": split on 10% → on 25%'],
    ]);
    await page.locator('table.flag-history tbody tr', { hasText: 'split on 10% → on 25%' }).waitFor();
    expect(await page.locator('table.flag-history tbody tr').count()).toBe(3);
    await screenshot(page, 'dashboard-flag-detail');

    // Changed elsewhere (another operator, through the API): the page follows without a reload.
    const bot = await api('POST', '/tokens', { name: 'ci-bot', role: 'operator' });
    expect(bot.status).toBe(201);
    expect((await api('PATCH', '/flags/production/new-checkout', { enabled: true }, bot.json.secret)).status).toBe(200);
    await page.locator('#flag-state', { hasText: 'on' }).waitFor();
    await page.locator('table.flag-history tbody tr').first().filter({ hasText: 'ci-bot' }).waitFor();
    expect(await text(page, 'table.flag-history tbody tr')).toContain('turned on');
    await page.locator('#flag-last-change', { hasText: 'by ci-bot' }).waitFor();
    expect(await text(page, '#flag-serving')).toContain('on 25% · off 75%');
    await page.getByRole('button', { name: 'Turn off' }).waitFor();
    // Set while on, it is served at once: no "still off".
    await page.getByLabel('to', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Set percentage' }).click();
    await page.locator('#flag-status', { hasText: 'split on 25% → on 30%' }).waitFor();
    expect(await text(page, '#flag-status')).toBe('Done: flag "new-checkout": split on 25% → on 30%.');

    // And the list: a flag added elsewhere appears, one changed shows its new state.
    await page.getByRole('link', { name: '← Flags in production' }).click();
    await page.locator('tr[data-flag="new-checkout"]').waitFor();
    const added = FLAGS.replace('    search-v2:', '    late-arrival: {variants: {on: true, off: false}, defaultVariant: off, enabled: false}\n    search-v2:');
    expect((await api('POST', '/flagsets', added)).status).toBe(200);
    await page.locator('tr[data-flag="late-arrival"]', { hasText: 'off to everyone (off)' }).waitFor();
    // Re-applying the document put new-checkout back as written (on, 10%).
    await page.locator('tr[data-flag="new-checkout"]', { hasText: 'on 10% · off 90%' }).waitFor();
    expect(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-flag')))).toEqual(['banner', 'late-arrival', 'new-checkout', 'search-v2']);
    await screenshot(page, 'dashboard-flags-live');
    expect(unexpected(watched)).toEqual([]);
    expect(watched.requests.filter((u) => !u.startsWith(server.url))).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a guarded flag rollout by its flag and users beside traffic rollouts, and on its flag\'s page', async () => {
    const watched = await signedIn();
    const { page } = watched;
    expect((await api('POST', '/rollouts', GUARDED)).status).toBe(201);
    const row = page.locator('tr[data-rollout="search"]');
    await row.locator('.target', { hasText: 'flag production/search-v2 → on' }).waitFor();
    await row.locator('td.n', { hasText: '20%of users' }).waitFor();
    expect(await text(page, 'tr[data-rollout="search"] td.n')).toBe('20% of users');
    expect(await text(page, '.rollout-list thead th:last-child')).toBe('Users');
    await row.locator('a').click();
    await page.locator('#traffic-split', { hasText: 'Users: search-v2=on 20% · everyone else 80% (confirmed by the flag)' }).waitFor();
    expect(await text(page, '.steps li[aria-current="step"] .step-text')).toBe('pause until promoted (manual gate)');
    // The list fits its panel beside the detail pane, and alone above it on a narrower screen.
    for (const width of [1280, 1024]) {
      await page.setViewportSize({ width, height: 800 });
      const box = await page.locator('.rollout-list').evaluate((panel) => {
        const p = panel.getBoundingClientRect();
        const d = panel.ownerDocument.querySelector('.rollout-detail')!.getBoundingClientRect();
        const style = panel.ownerDocument.defaultView!.getComputedStyle(panel);
        return {
          inner: p.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth),
          bottom: p.bottom,
          table: panel.querySelector('table')!.getBoundingClientRect().right,
          cells: [...panel.querySelectorAll('tr[data-rollout="search"] > *')].map((c) => Math.round(c.getBoundingClientRect().width)),
          detail: { left: d.left, top: d.top },
        };
      });
      expect(box.table, `at ${width} px: ${JSON.stringify(box)}`).toBeLessThanOrEqual(box.inner + 0.5);
      // Beside the detail pane (wide screens) or above it (narrow ones), never over it.
      expect(box.table <= box.detail.left || box.bottom <= box.detail.top, `at ${width} px: ${JSON.stringify(box)}`).toBe(true);
      if (width === 1280) expect(box.table, 'side by side at 1280 px').toBeLessThanOrEqual(box.detail.left);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await text(page, '.steps li:first-child .step-text')).toBe('serve on to 20% of users');
    expect(await text(page, '.legend')).toBe('everyone else (search-v2!=on) search-v2=on decision');
    await screenshot(page, 'dashboard-flag-rollout');

    // Its target links to the flag, whose page says the rollout drives it.
    await page.getByRole('link', { name: 'flag production/search-v2 → on' }).click();
    await page.locator('#flag-heading', { hasText: 'search-v2' }).waitFor();
    const guard = page.locator('#flag-guard');
    await guard.locator('li[data-rollout="search"]', { hasText: 'on served to 20% of users' }).waitFor();
    expect(await text(page, '#flag-guard h3')).toBe('Driven by a guarded rollout');
    expect(await text(page, '#flag-guard')).toContain('only it changes the split while it runs');
    expect(await text(page, 'table.flag-history tbody tr')).toContain('rollout/search');

    // The rollout ends elsewhere: the flag page follows (the variant back to 0%, the rollout aborted).
    expect((await api('POST', '/rollouts/search/abort', { reason: 'test' })).status).toBe(200);
    await guard.locator('li[data-rollout="search"] .phase', { hasText: 'aborted' }).waitFor();
    await page.locator('table.flag-history tbody tr').first().filter({ hasText: 'rollout/search' }).waitFor();
    await page.locator('#flag-serving', { hasText: 'Everyone gets off.' }).waitFor();
    expect(await text(page, '#flag-guard h3')).toBe('Guarded rollouts');
    await screenshot(page, 'dashboard-flag-guarded');
    await guard.getByRole('link', { name: 'search' }).click();
    await page.locator('#detail-heading', { hasText: 'search' }).waitFor();
    expect(unexpected(watched)).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a viewer flags, rules and history, but no controls', async () => {
    const created = await api('POST', '/tokens', { name: 'watcher', role: 'viewer' });
    expect(created.status).toBe(201);
    const watched = await signedIn(created.json.secret as string);
    const { page } = watched;
    await page.goto(`${server.url}/#/flags/production/new-checkout`);
    await page.locator('#flag-rules li[data-rule="nz-pro"]').waitFor();
    await page.locator('table.flag-history tbody tr').first().waitFor();
    expect(await page.locator('.flag-controls').count()).toBe(0);
    // Its own last change (the re-applied document), though its set changed since (rollout/search moved search-v2).
    await page.locator('#flag-last-change', { hasText: 'by admin' }).waitFor();
    for (const name of ['Turn off', 'Turn on', 'Set percentage']) expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    await screenshot(page, 'dashboard-flag-viewer');
    expect(watched.problems).toEqual([]);
    await page.close();
  }, 60_000);
});
