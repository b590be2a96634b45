import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/cli/demo.js';
import { startSampleService, type SampleService } from '../../src/demo/sample-service.js';
import { rolloutYaml, runCli, startServer, tempDir, waitFor, writeTemp, type ServerProcess } from './harness.js';

/** Tokens, roles, the CLI's config sources and the live watch, through the real CLI against a real `sluice up`. */
describe('access through the real CLI and server', () => {
  let server: ServerProcess;
  let home: string;
  const services: SampleService[] = [];
  const elsewhere = tempDir('sluice-cwd-');

  beforeAll(async () => {
    home = tempDir('sluice-home-');
    // The default data directory name, so the CLI's convenience finds .sluice/admin-token from `home`.
    server = await startServer(join(home, '.sluice'));
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all(services.map((s) => s.close()));
  });

  it('sluice up writes an admin token readable by its owner only, and says where', () => {
    const file = join(home, '.sluice', 'admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(server.token);
    expect(server.logs()).toContain(`created an admin token in ${file}`);
    expect(server.logs()).not.toContain(server.token);
  });

  it('away from the defaults, sluice up prints the exports the CLI needs, and they work as printed', async () => {
    const file = join(home, '.sluice', 'admin-token');
    expect(server.logs()).toContain(`export SLUICE_SERVER=${server.url} SLUICE_TOKEN=$(cat ${file})`);
    const res = await runCli(['get', 'rollouts'], { env: { SLUICE_SERVER: server.url, SLUICE_TOKEN: readFileSync(file, 'utf8').trim() } });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('finds .sluice/admin-token for a server on 127.0.0.1, and without a token explains where to get one', async () => {
    const me = await runCli(['--server', server.url, 'whoami'], { cwd: home });
    expect(me.code, me.stderr).toBe(0);
    expect(me.stdout).toContain(`admin (admin, token `);

    const none = await runCli(['--server', server.url, 'get', 'rollouts'], { cwd: elsewhere });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('the server wants a token and none was given: pass --token, set SLUICE_TOKEN');
  });

  it('creates tokens shown once, enforces their roles, records their names as actors, and revokes them', async () => {
    const created = await server.cli('token', 'create', '--role', 'operator', '--name', 'ci');
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^sluice_[a-f0-9]{12}_\S{43}$/);
    expect(created.stderr).toContain('This is the only time it is shown');

    const list = await server.cli('token', 'list');
    expect(list.stdout).toMatch(/\bci\s+operator\s+active\b/);
    expect(list.stdout).not.toContain(secret);
    const listed = JSON.parse((await server.cli('token', 'list', '-o', 'json')).stdout).tokens;
    const ci = listed.find((t: { name: string }) => t.name === 'ci');
    expect(JSON.stringify(listed)).not.toContain(secret);

    const asCi = (...args: string[]) => runCli(['--server', server.url, ...args], { env: { SLUICE_TOKEN: secret }, cwd: elsewhere });
    expect((await asCi('whoami')).stdout).toContain('ci (operator');

    const stable = await startSampleService({ version: 'v1' });
    const canary = await startSampleService({ version: 'v2' });
    services.push(stable, canary);
    const file = writeTemp('gated.yaml', rolloutYaml({ name: 'gated', listen: `127.0.0.1:${await freePort()}`, stable: stable.url, canary: canary.url, steps: '- setWeight: 10\n- pause: {}\n- setWeight: 20\n- pause: {}' }));
    const denied = await asCi('apply', '-f', file);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('POST /api/v1/rollouts needs the admin role; token "ci" has the operator role');
    expect(denied.stderr).toContain('(the token came from SLUICE_TOKEN)');

    expect((await server.cli('apply', '-f', file)).code).toBe(0);
    await waitFor(async () => JSON.parse((await asCi('status', 'gated', '-o', 'json')).stdout).phase === 'paused', 'the gate');
    const promoted = await asCi('promote', 'gated');
    expect(promoted.code, promoted.stderr).toBe(0);
    await waitFor(async () => JSON.parse((await asCi('status', 'gated', '-o', 'json')).stdout).canaryWeight === 20, 'the second gate');
    const history = JSON.parse((await asCi('history', 'gated', '-o', 'json')).stdout).events as Array<{ type: string; actor?: string }>;
    expect(history.find((e) => e.type === 'started')?.actor).toBe('admin');
    expect(history.filter((e) => e.actor === 'ci').length).toBeGreaterThan(0);

    const revoked = await server.cli('token', 'revoke', ci.id);
    expect(revoked.stdout).toContain(`token "ci" (${ci.id}) revoked`);
    const again = await server.cli('token', 'revoke', ci.id);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^token "ci" \\(${ci.id}\\) was already revoked on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d by admin; nothing changed\\n$`));
    const after = await asCi('get', 'rollouts');
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(new RegExp(`^sluice: token "ci" \\(id ${ci.id}, operator\\) was revoked on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC by admin and no longer works; `));
    expect(after.stderr).toContain('ask an admin for a new one (they make it with `sluice token create --role operator --name NAME`)');
  }, 180_000); // about 20 CLI processes one after another: slow on a loaded 2-core machine

  it('token revoke with something that is not a token id says what an id looks like, never a pattern, never a secret', async () => {
    const bad = await server.cli('token', 'revoke', 'BADID');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('sluice: "BADID" is not a token id: an id is 12 lowercase hex digits, such as 1de9963b2b1a (the part after "sluice_" in the token); `sluice token list` shows every token\'s id\n');
    const created = await server.cli('token', 'create', '--role', 'viewer', '--name', 'pasted');
    const secret = created.stdout.trim();
    const whole = await server.cli('token', 'revoke', secret);
    expect(whole.code).toBe(1);
    expect(whole.stderr).toBe(`sluice: that is a whole token, secret included, not its id; its id is ${secret.slice(7, 19)}\n`);
    expect(server.logs()).not.toContain(secret.slice(20));
  });

  it('reads server and token from $XDG_CONFIG_HOME/sluice/config.yaml, and warns when others can read it', async () => {
    const created = await server.cli('token', 'create', '--role', 'viewer', '--name', 'dashboard-reader');
    const xdg = tempDir('sluice-xdg-');
    mkdirSync(join(xdg, 'sluice'));
    const config = join(xdg, 'sluice', 'config.yaml');
    writeFileSync(config, `server: ${server.url}\ntoken: ${created.stdout.trim()}\n`, { mode: 0o600 });
    const env = { XDG_CONFIG_HOME: xdg };
    const me = await runCli(['whoami'], { env, cwd: elsewhere });
    expect(me.code, me.stderr).toBe(0);
    expect(me.stdout).toBe(`dashboard-reader (viewer, token ${me.stdout.split('token ')[1]!.split(')')[0]}) on ${server.url}\n`);
    expect(me.stderr).toBe('');
    const abort = await runCli(['abort', 'gated'], { env, cwd: elsewhere });
    expect(abort.code).toBe(1);
    expect(abort.stderr).toContain('needs the operator role');

    chmodSync(config, 0o644);
    const loose = await runCli(['whoami'], { env, cwd: elsewhere });
    expect(loose.stderr).toContain(`${config} holds a token and others can read it; run: chmod 600 ${config}`);

    writeFileSync(config, 'server: localhost:7070\n');
    const bad = await runCli(['whoami'], { env, cwd: elsewhere });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${config}:1:9: server: must be an http(s) URL`);
  });

  it('status --watch follows the event stream until the rollout ends', async () => {
    const watch = server.cli('status', 'gated', '--watch');
    await waitFor(() => /event stream opened.*"rollout":"gated"|"rollout":"gated".*event stream opened/.test(server.logs()), 'the watch to open the event stream');
    expect((await server.cli('promote', 'gated')).code).toBe(0);
    const done = await watch;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('[promoted]');
    expect(done.stderr).not.toContain('polling');
  });
});
