import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/demo.js';
import { startLoad, type Load } from '../../src/demo/load.js';
import { startSampleService, type SampleService } from '../../src/demo/sample-service.js';
import { Receiver, type Received } from '../../src/hooks/testing.js';
import type { WebhookNotification } from '../../src/notify/index.js';
import { rolloutYaml, runCli, startServer, tempDir, waitFor, writeTemp, type ServerProcess } from './harness.js';

/**
 * The rollout lifecycle through the real CLI and a real `sluice up`: webhooks
 * and gates, signed notifications with an approve link, Slack and Teams
 * payloads, a failing pre-rollout hook, the built-in load generator, undo and
 * post-promotion analysis — with real upstreams and real HTTP receivers.
 */
describe('rollout lifecycle through the real CLI and server', () => {
  const KEY = 'e2e-notify-secret';
  let server: ServerProcess;
  let rx: Receiver;
  const services: SampleService[] = [];
  const loads: Load[] = [];
  const gates = new Map<string, boolean>();

  beforeAll(async () => {
    rx = await Receiver.start();
    // Hooks at /fail… answer 500, gates /gate/<name> answer 403 until opened, everything else 200.
    rx.answer((r) => {
      if (r.path.startsWith('/fail')) return { status: 500, body: 'migration failed: column exists' };
      if (r.path.startsWith('/closed')) return { status: 503, body: 'change freeze until Friday' };
      if (r.path.startsWith('/gate/')) return gates.get(r.path) ? { status: 200 } : { status: 403, body: 'not yet' };
      return { status: 200, body: 'ok' };
    });
    process.env.SLUICE_E2E_NOTIFY_KEY = KEY;
    server = await startServer();
  });
  afterAll(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await server?.stop();
    await Promise.all(services.map((s) => s.close()));
    await rx?.close();
  });

  const cli = (...args: string[]) => server.cli(...args);
  const status = async (name: string) => JSON.parse((await cli('status', name, '-o', 'json')).stdout) as { phase: string; message: string; canaryWeight: number; pauseReason?: string };

  async function upstreams(canary: Partial<Parameters<typeof startSampleService>[0]> = {}) {
    const stable = await startSampleService({ version: 'v1' });
    const canarySvc = await startSampleService({ version: 'v2', ...canary });
    services.push(stable, canarySvc);
    return { stable, canary: canarySvc, yaml: { stable: stable.url, canary: canarySvc.url, listen: `127.0.0.1:${await freePort()}` } };
  }

  async function versionAt(listen: string): Promise<string> {
    const res = await request(`http://${listen}/probe`);
    await res.body.dump();
    return String(res.headers['x-sample-version']);
  }

  const signed = (r: Received) => {
    const header = String(r.headers['x-sluice-signature'] ?? '');
    const want = createHmac('sha256', KEY).update(r.body).digest();
    const got = Buffer.from(header.replace(/^sha256=/, ''), 'hex');
    return header.startsWith('sha256=') && got.length === want.length && timingSafeEqual(got, want);
  };

  it('runs hooks around the steps, holds at a gate, and a signed paused notification approves the manual gate once', async () => {
    const u = await upstreams();
    const yaml = rolloutYaml({
      name: 'shop',
      ...u.yaml,
      steps: '- setWeight: 20\n- pause: {}\n- setWeight: 60\n- pause: {duration: 1s}',
      extra: `  hooks:
    - {name: migrate, type: pre-rollout, url: "${rx.url}/hooks/migrate", metadata: {ticket: CHG-42}}
    - {name: smoke, type: rollout, url: "${rx.url}/hooks/smoke"}
    - {name: release-manager, type: confirm-promotion, url: "${rx.url}/gate/shop"}
    - {name: announce, type: post-rollout, url: "${rx.url}/hooks/announce"}
  notifications:
    - {name: ops, type: webhook, url: "${rx.url}/notify/ops", secretEnv: SLUICE_E2E_NOTIFY_KEY}
    - {name: chat, type: slack, url: "${rx.url}/notify/slack", on: [paused, promoted]}
    - {name: managers, type: teams, url: "${rx.url}/notify/teams", on: [paused]}
`,
    });
    const applied = await cli('apply', '-f', writeTemp('shop.yaml', yaml));
    expect(applied.code, applied.stderr).toBe(0);

    await waitFor(async () => (await status('shop')).pauseReason === 'gate', 'the manual gate');
    expect(rx.at('/hooks/migrate')[0]!.json).toMatchObject({ name: 'shop', phase: 'pre-rollout', metadata: { ticket: 'CHG-42' }, canaryWeight: 0 });
    expect(rx.at('/hooks/smoke')[0]!.json).toMatchObject({ phase: 'rollout', canaryWeight: 20 });

    // Who started it: the token's name, as in history.
    expect(rx.at('/notify/ops').map((r) => r.json as WebhookNotification).find((n) => n.event === 'started')).toMatchObject({ actor: 'admin' });
    const paused = await waitFor(() => rx.at('/notify/ops').find((r) => (r.json as WebhookNotification).event === 'paused'), 'the paused notification');
    expect(signed(paused)).toBe(true);
    const notice = paused.json as WebhookNotification;
    expect(notice.approveUrl).toMatch(new RegExp(`^${server.url}/api/v1/approve/`));
    const slack = await waitFor(() => rx.at('/notify/slack')[0], 'the Slack message');
    expect((slack.json as { blocks: Array<{ type: string; elements?: Array<{ url?: string }> }> }).blocks.find((b) => b.type === 'actions')!.elements![0]!.url).toBe(notice.approveUrl);
    const teams = await waitFor(() => rx.at('/notify/teams')[0], 'the Teams message');
    expect((teams.json as { attachments: Array<{ content: { actions: Array<{ url: string }> } }> }).attachments[0]!.content.actions[0]!.url).toBe(notice.approveUrl);

    const approve = () => request(notice.approveUrl!, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    const first = await approve();
    expect(first.statusCode).toBe(200);
    await first.body.dump();
    const waiting = await waitFor(async () => {
      const s = await status('shop');
      return s.message.includes('waiting for the confirm-promotion hook release-manager') ? s : undefined;
    }, 'the confirm-promotion gate');
    expect(waiting).toMatchObject({ phase: 'progressing', canaryWeight: 60 });
    const second = await approve();
    expect(second.statusCode).toBe(410);
    expect(((await second.body.json()) as { error: { code: string } }).error.code).toBe('SLUICE_APPROVE_USED');

    gates.set('/gate/shop', true);
    await waitFor(async () => (await status('shop')).phase === 'promoted', 'promotion once the gate opens', 30_000);
    expect(await versionAt(u.yaml.listen)).toBe('v2');
    await waitFor(() => rx.at('/hooks/announce')[0], 'the post-rollout hook');

    const history = JSON.parse((await cli('history', 'shop', '-o', 'json')).stdout).events as Array<{ type: string; actor?: string; data?: Record<string, unknown>; message: string }>;
    const hooks = history.filter((e) => e.type === 'hook').map((e) => `${e.data!.phase}:${e.data!.hook}:${e.data!.ok}`);
    expect(hooks).toEqual(expect.arrayContaining(['pre-rollout:migrate:true', 'rollout:smoke:true', 'confirm-promotion:release-manager:false', 'confirm-promotion:release-manager:true', 'post-rollout:announce:true']));
    expect(history.find((e) => e.type === 'resumed')!.actor).toMatch(/^approve-link:/);
  });

  it('status, status --watch and run say which gate hook holds the rollout, since when, and its last answer', async () => {
    const u = await upstreams();
    loads.push(startLoad(`http://${u.yaml.listen}`, 40));
    const yaml = rolloutYaml({
      name: 'frozen',
      ...u.yaml,
      steps: '- setWeight: 20\n- pause: {duration: 1s}',
      analysis: 'interval: 1s\nminRequests: 5\ninconclusiveLimit: 30\nmetrics:\n  - {name: success-rate, min: 95}',
      extra: `  hooks:\n    - {name: release-board, type: confirm-promotion, url: "${rx.url}/closed/release-board"}\n`,
    });
    const file = writeTemp('frozen.yaml', yaml);
    expect((await cli('apply', '-f', file)).code).toBe(0);
    type Held = { phase: string; since: string; hooks: Array<{ name: string; asked: number; answer?: { ok: boolean; status?: number; message: string } }> };
    const view = await waitFor(async () => {
      const v = JSON.parse((await cli('status', 'frozen', '-o', 'json')).stdout) as { heldBy?: Held };
      return v.heldBy?.hooks[0]?.answer ? v.heldBy : undefined;
    }, 'the closed confirm-promotion gate');
    expect(view).toMatchObject({ phase: 'confirm-promotion', hooks: [{ name: 'release-board', answer: { ok: false, status: 503, message: 'answered 503 Service Unavailable: change freeze until Friday' } }] });
    const since = view.since.slice(11, 19);

    const text = await cli('status', 'frozen');
    expect(text.stdout).toMatch(new RegExp(`\\n  held since ${since} \\(\\d+s\\) by the confirm-promotion hook release-board: answered 503 Service Unavailable: change freeze until Friday`));
    const watched = await runCli(['--server', server.url, '--token', server.token, 'status', 'frozen', '--watch'], { timeoutMs: 8000 });
    expect(watched.stdout).toContain(`| held since ${since} by release-board (503) |`);
    const run = await cli('run', '-f', file, '--timeout', '4s');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`| held since ${since} by release-board (503) |`);
    expect((await cli('abort', 'frozen')).code).toBe(0);
  });

  it('a failing pre-rollout hook: `sluice run` exits 2 and no request ever reached the canary', async () => {
    const u = await upstreams();
    loads.push(startLoad(`http://${u.yaml.listen}`, 50));
    const yaml = rolloutYaml({
      name: 'migrate-fails',
      ...u.yaml,
      steps: '- setWeight: 50\n- pause: {duration: 1s}',
      extra: `  hooks:\n    - {name: migrate, type: pre-rollout, url: "${rx.url}/fail/migrate", retries: 1}\n`,
    });
    const run = await cli('run', '-f', writeTemp('migrate.yaml', yaml));
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toMatch(/the pre-rollout hook migrate failed .*answered 500 Internal Server Error: migration failed/);
    expect(rx.at('/fail/migrate')).toHaveLength(2);
    await waitFor(() => u.stable.served.total > 20, 'stable traffic');
    expect(u.canary.served.total).toBe(0);
  });

  it('the built-in load generator gives a quiet service enough traffic to be judged and promoted', async () => {
    const u = await upstreams();
    const yaml = rolloutYaml({
      name: 'quiet',
      ...u.yaml,
      steps: '- setWeight: 50\n- analysis: {checks: 3}',
      // Short 1 s windows: each must see the load's traffic (none may collapse to an empty one), and the
      // empty windows after the load ends (before the hook's result is in) must not erase the passes earned.
      analysis: 'interval: 1s\nminRequests: 20\ninconclusiveLimit: 30\nmetrics:\n  - {name: success-rate, min: 95}',
      // The load runs while the step is judged.
      extra: '  hooks:\n    - {name: load, type: load, rps: 80, duration: 8s}\n',
    });
    const run = await cli('run', '-f', writeTemp('quiet.yaml', yaml), '--timeout', '45s');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const sent = u.stable.served.total + u.canary.served.total;
    expect(sent).toBeGreaterThanOrEqual(250);
    expect(u.canary.served.total).toBeGreaterThan(sent * 0.3);
    const history = JSON.parse((await cli('history', 'quiet', '-o', 'json')).stdout).events as Array<{ type: string; data?: { load?: { sent: number }; verdict?: string } }>;
    expect(history.find((e) => e.type === 'hook')!.data!.load!.sent).toBeGreaterThanOrEqual(300);
    expect(history.filter((e) => e.type === 'check' && e.data?.verdict === 'pass').length).toBeGreaterThanOrEqual(3);
  });

  it('sluice undo returns a promoted rollout to the previous stable within the window, once', async () => {
    const u = await upstreams();
    const yaml = rolloutYaml({ name: 'undoable', ...u.yaml, steps: '- setWeight: 50\n- pause: {duration: 1s}', extra: '  undoWindow: 1h\n' });
    const run = await cli('run', '-f', writeTemp('undo.yaml', yaml));
    expect(run.code, run.stderr).toBe(0);
    expect(await versionAt(u.yaml.listen)).toBe('v2');
    const undone = await cli('undo', 'undoable', '--reason', 'errors in checkout');
    expect(undone.code, undone.stderr).toBe(0);
    expect(undone.stdout).toMatch(/rollout "undoable" is aborted: undone by .* after promotion: errors in checkout; all traffic is back on the previous stable/);
    for (let i = 0; i < 10; i++) expect(await versionAt(u.yaml.listen)).toBe('v1');
    const again = await cli('undo', 'undoable');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot undo a rollout that is aborted');
  });

  it('post-promotion analysis switches back when the new version goes bad after the switch', async () => {
    let bad = false;
    const u = await upstreams({ errorRate: 0.5, random: () => (bad ? 0 : 0.999) });
    loads.push(startLoad(`http://${u.yaml.listen}`, 100));
    const yaml = rolloutYaml({
      name: 'verified',
      ...u.yaml,
      steps: '- setWeight: 20\n- pause: {duration: 2s}',
      analysis: 'interval: 1s\nfailureLimit: 0\nminRequests: 10\ninconclusiveLimit: 30\nmetrics:\n  - {name: success-rate, min: 95}',
      extra: '',
    }).replace('    canary:\n      steps:', '    canary:\n      postPromotionAnalysis: {duration: 1m}\n      steps:');
    const applied = await cli('apply', '-f', writeTemp('verified.yaml', yaml));
    expect(applied.code, applied.stderr).toBe(0);
    const switched = await waitFor(async () => {
      const s = await status('verified');
      return s.canaryWeight === 100 ? s : undefined;
    }, 'the switch to the new version');
    expect(switched.phase).toBe('progressing');
    expect(switched.message).toContain('post-promotion analysis');
    expect(await versionAt(u.yaml.listen)).toBe('v2');
    bad = true;
    const rolledBack = await waitFor(async () => {
      const s = await status('verified');
      return s.phase === 'rolled-back' ? s : undefined;
    }, 'the switch back', 20_000);
    expect(rolledBack.message).toMatch(/success-rate/);
    for (let i = 0; i < 10; i++) expect(await versionAt(u.yaml.listen)).toBe('v1');
  });
});

describe('blue-green through the real CLI and server', () => {
  let server: ServerProcess;
  const services: SampleService[] = [];
  const loads: Load[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    await Promise.all(loads.map((l) => l.stop()));
    await server?.stop();
    await Promise.all(services.map((s) => s.close()));
  });

  const cli = (...args: string[]) => server.cli(...args);
  const status = async (name: string) => JSON.parse((await cli('status', name, '-o', 'json')).stdout) as { phase: string; message: string; canaryWeight: number; pauseReason?: string };

  async function setup() {
    const blue = await startSampleService({ version: 'blue' });
    const green = await startSampleService({ version: 'green' });
    services.push(blue, green);
    return { blue, green, listen: `127.0.0.1:${await freePort()}` };
  }

  async function versionAt(listen: string, headers: Record<string, string> = {}): Promise<string> {
    const res = await request(`http://${listen}/probe`, { headers });
    await res.body.dump();
    return String(res.headers['x-sample-version']);
  }

  it('previews the new version behind a header, judges the preview, switches all traffic at once on promote, then verifies it', async () => {
    const u = await setup();
    const users = startLoad(`http://${u.listen}`, 60);
    loads.push(users);
    // Testers hitting the preview.
    timers.push(setInterval(() => void versionAt(u.listen, { 'x-preview': '1' }).catch(() => undefined), 25));
    const yaml = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: bluegreen}
spec:
  service:
    listen: ${u.listen}
    stable: {upstreams: [${u.blue.url}]}
    canary: {upstreams: [${u.green.url}]}
  strategy:
    blueGreen:
      previewHeader: {name: x-preview, value: "1"}
      prePromotionAnalysis: {checks: 2}
      postPromotionAnalysis: {duration: 3s}
  analysis:
    interval: 1s
    minRequests: 5
    inconclusiveLimit: 30
    metrics:
      - {name: success-rate, min: 95}
`;
    const applied = await cli('apply', '-f', writeTemp('bluegreen.yaml', yaml));
    expect(applied.code, applied.stderr).toBe(0);
    const gate = await waitFor(async () => {
      const s = await status('bluegreen');
      return s.pauseReason === 'gate' ? s : undefined;
    }, 'the preview to pass its analysis and wait at the gate', 30_000);
    expect(gate.canaryWeight).toBe(0);
    expect(gate.message).toContain('preview: requests with x-preview: 1');
    expect(await versionAt(u.listen, { 'x-preview': '1' })).toBe('green');
    for (let i = 0; i < 10; i++) expect(await versionAt(u.listen)).toBe('blue');
    expect(users.stats.byVersion.canary).toBeUndefined();

    const promoted = await cli('promote', 'bluegreen');
    expect(promoted.code, promoted.stderr).toBe(0);
    // Past the gate the engine still wants one passing check of the preview (never promote blind): up to one interval.
    const switched = await waitFor(async () => {
      const s = await status('bluegreen');
      return s.canaryWeight === 100 ? s : undefined;
    }, 'the switch after the next passing check', 15_000);
    expect(switched).toMatchObject({ phase: 'progressing', canaryWeight: 100 });
    expect(switched.message).toContain('post-promotion analysis');
    for (let i = 0; i < 10; i++) expect(await versionAt(u.listen)).toBe('green');

    await waitFor(async () => (await status('bluegreen')).phase === 'promoted', 'promotion after the post-promotion window', 20_000);
    for (let i = 0; i < 10; i++) expect(await versionAt(u.listen)).toBe('green');
    const history = JSON.parse((await cli('history', 'bluegreen', '-o', 'json')).stdout).events as Array<{ type: string; data?: { from?: number; to?: number } }>;
    const moves = history.filter((e) => e.type === 'weight-changed').map((e) => [e.data!.from, e.data!.to]);
    expect(moves, 'the switch moves all traffic at once').toEqual([[0, 100]]);
  });

  it('a preview listener of its own: a bad new version is caught on the preview and rolled back before any user sees it', async () => {
    const blue = await startSampleService({ version: 'blue' });
    const green = await startSampleService({ version: 'green', errorRate: 0.5 });
    services.push(blue, green);
    const listen = `127.0.0.1:${await freePort()}`;
    const previewListen = `127.0.0.1:${await freePort()}`;
    const users = startLoad(`http://${listen}`, 50);
    loads.push(users);
    timers.push(setInterval(() => void request(`http://${previewListen}/try`).then((r) => r.body.dump()).catch(() => undefined), 20));
    const yaml = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: previewed}
spec:
  service:
    listen: ${listen}
    stable: {upstreams: [${blue.url}]}
    canary: {upstreams: [${green.url}]}
  strategy:
    blueGreen:
      previewListen: ${previewListen}
      prePromotionAnalysis: {checks: 2}
      autoPromotionSeconds: 1
  analysis:
    interval: 1s
    failureLimit: 0
    minRequests: 10
    inconclusiveLimit: 30
    metrics:
      - {name: success-rate, min: 95}
`;
    const run = await cli('run', '-f', writeTemp('previewed.yaml', yaml));
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toMatch(/\[rolled-back\] .*success-rate/);
    expect(green.served.total).toBeGreaterThan(10);
    expect(users.stats.byVersion.canary, 'no user request reached the new version').toBeUndefined();
    await waitFor(async () => {
      try {
        await request(`http://${previewListen}/after`, { dispatcher: new Agent() });
        return false;
      } catch (err) {
        return /ECONNREFUSED/.test(String(err));
      }
    }, 'the preview listener to close');
    expect(await versionAt(listen)).toBe('blue');
  });

  it('auto-promotes after autoPromotionSeconds without a person', async () => {
    const u = await setup();
    const yaml = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: autobg}
spec:
  service:
    listen: ${u.listen}
    stable: {upstreams: [${u.blue.url}]}
    canary: {upstreams: [${u.green.url}]}
  strategy:
    blueGreen:
      previewHeader: {name: x-preview, value: "1"}
      autoPromotionSeconds: 2
`;
    const started = Date.now();
    const run = await cli('run', '-f', writeTemp('autobg.yaml', yaml));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(await versionAt(u.listen)).toBe('green');
  });
});

describe('a webhook notification whose signing key the server lacks', () => {
  const VAR = 'SLUICE_E2E_SIGNING_KEY';
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    delete process.env[VAR];
    await Promise.all(servers.map((s) => s.stop()));
  });

  const yaml = async (name: string) =>
    rolloutYaml({
      name,
      listen: `127.0.0.1:${await freePort()}`,
      stable: 'http://127.0.0.1:9',
      canary: 'http://127.0.0.1:10',
      steps: '- setWeight: 10\n- pause: {}',
      extra: `  notifications:\n    - {name: ops, type: webhook, url: "http://127.0.0.1:9/notify", secretEnv: ${VAR}}\n`,
    });

  it('is refused at apply, naming the field and the variable to set; nothing is applied', async () => {
    delete process.env[VAR];
    const server = await startServer();
    servers.push(server);
    const applied = await server.cli('apply', '-f', writeTemp('signed.yaml', await yaml('signed')));
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain(`the server has no ${VAR} to sign notifications with; set it where \`sluice up\` runs and restart it. Nothing was applied`);
    expect(applied.stderr).toContain(`signed.yaml: spec.notifications[0].secretEnv: rollout "signed": notifications to ops are signed with the key in the environment variable ${VAR}, which is not set`);
    const status = await server.cli('status', 'signed');
    expect(status.stderr).toContain('no rollout named "signed"');
  });

  it('sluice up warns about a stored rollout whose key is gone from its environment', async () => {
    const dir = tempDir('sluice-e2e-secret-');
    process.env[VAR] = 'k3y';
    const first = await startServer(dir);
    servers.push(first); // stopped by afterAll too if an assertion fails first (stopping twice is harmless)
    const applied = await first.cli('apply', '-f', writeTemp('kept.yaml', await yaml('kept')));
    expect(applied.code, applied.stderr).toBe(0);
    await first.stop();
    delete process.env[VAR];
    const second = await startServer(dir);
    servers.push(second);
    const warning = await waitFor(() => second.logs().split('\n').find((l) => l.startsWith('sluice: warning: rollout "kept"')), 'the warning');
    expect(warning).toContain(`(spec.notifications[0].secretEnv): notifications to ops are signed with the key in the environment variable ${VAR}, which is not set`);
  });
});
