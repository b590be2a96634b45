import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlagsServer, type FlagsServer } from '../server/flags-testing.js';

/** `sluice flags …` as a user runs it: the built CLI (dist/) against a real server. */

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'sluice.js');
const examples = join(root, 'examples');

let s: FlagsServer;
let dir: string;
beforeAll(async () => {
  s = await startFlagsServer();
  dir = mkdtempSync(join(tmpdir(), 'sluice-flags-cli-'));
});
afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const token = s.operator.authorization?.replace(/^Bearer /, '');
  const auth = token ? ['--token', token] : [];
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '--server', s.url, ...auth, ...args], { cwd: dir, env: { ...process.env, USER: 'tester', SLUICE_TOKEN: '', SLUICE_ENVIRONMENT: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('sluice flags', () => {
  it('applies, lists, shows, changes a flag and shows its history', async () => {
    const applied = await sluice('flags', 'apply', '-f', join(examples, 'flags', 'checkout.yaml'));
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('flag set "checkout" (production) created: 4 flag changes');
    const list = await sluice('flags', 'get');
    expect(list.stdout.split('\n')[0]).toMatch(/^ENVIRONMENT\s+KEY\s+STATE\s+SERVING/);
    expect(list.stdout).toMatch(/production\s+new-checkout\s+on\s+on 10% · off 90%\s+2/);
    const set = await sluice('flags', 'set', 'new-checkout', '--variant', 'on', '--percent', '25');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('flag "new-checkout": split on 10% → on 25%');
    expect(set.stdout).toContain('now: on — 2 rules, then split on 25%, rest "off"');
    const off = await sluice('flags', 'set', 'new-checkout', '--off', '-e', 'production');
    expect(off.stdout).toContain('turned off');
    const one = await sluice('flags', 'get', 'new-checkout');
    expect(one.stdout).toContain('state:     off — everyone gets "off"');
    expect(one.stdout).toContain('rule 1 new-zealand: If country equals NZ → serve on');
    const history = await sluice('flags', 'history', 'new-checkout');
    const lines = history.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/Z {2}\S+ +flag "new-checkout": split on 10% → on 25%$/);
  });

  it('says what is wrong, with a non-zero exit', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: sluice.dev/v1alpha1\nkind: FlagSet\nmetadata: {name: x, environment: production}\nspec:\n  flags:\n    f: {variants: {a: 1}, defaultVariant: b}\n');
    const applied = await sluice('flags', 'apply', '-f', bad);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain(`${bad}:6:43: spec.flags.f.defaultVariant: names no variant of this flag ("b"); did you mean "a"?`);
    const validated = await sluice('validate', bad);
    expect(validated.code).toBe(1);
    expect(validated.stdout).toContain(`${bad}:6:43:`);
    expect((await sluice('flags', 'set', 'new-checkout', '--percent', 'lots')).stderr).toContain('--percent must be a number from 0 to 100 such as 10 or 2.5, got "lots"');
    expect((await sluice('flags', 'set', 'nope', '--on')).stderr).toContain('no flag "nope" in any environment');
    expect((await sluice('flags', 'set', 'new-chekout', '--on')).stderr).toContain('no flag "new-chekout" in any environment (did you mean "new-checkout"?)');
    const setBad = await sluice('flags', 'set', 'new-checkout', '--variant', 'maybe');
    expect(setBad.code).toBe(1);
    expect(setBad.stderr).toContain('no variant "maybe"; the variants are on, off');
  });

  it('creates a client key shown once on stdout, lists it without the secret, revokes it', async () => {
    const created = await sluice('flags', 'keys', 'create', '--environment', 'production', '--name', 'web');
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^sluice_ck_\S+$/);
    expect(created.stderr).toContain('This is the only time it is shown');
    const list = await sluice('flags', 'keys', 'list');
    expect(list.stdout).not.toContain(secret);
    const id = /^(ck_\w+)\s+production\s+web/m.exec(list.stdout)?.[1];
    expect(id).toBeDefined();
    expect((await sluice('flags', 'keys', 'revoke', id!)).stdout).toContain(`client key ${id} ("web", production) revoked`);
    expect((await sluice('flags', 'keys', 'list')).stdout).toMatch(new RegExp(`${id}.*revoked`));
  });

  it('imports flagd definitions with a report, and applies them', async () => {
    const flagd = join(dir, 'flagd.json');
    writeFileSync(flagd, JSON.stringify({
      flags: {
        'dark-mode': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off', targeting: { if: [{ in: [{ var: 'plan' }, ['pro']] }, 'on', 'off'] } },
        clock: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off', targeting: { if: [{ '>': [{ var: '$flagd.timestamp' }, 1] }, 'on'] } },
      },
    }));
    const printed = await sluice('flags', 'import', flagd, '--environment', 'staging', '--name', 'web');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('kind: FlagSet');
    expect(printed.stderr).toContain('not imported: flag "clock": its targeting was left out ($flagd.timestamp has no Sluice equivalent');
    expect(printed.stderr).toContain('2 flag(s) converted; 1 item(s) not imported');
    const applied = await sluice('flags', 'import', flagd, '--environment', 'staging', '--name', 'web', '--apply');
    expect(applied.stdout).toContain('flag set "web" (staging) created');
    const res = await s.api('GET', '/api/v1/flags/staging/dark-mode');
    expect(res.body.definition.rules[0]).toMatchObject({ conditions: [{ attribute: 'plan', in: ['pro'] }], serve: 'on' });
  });

  it('evaluates a local file without a server', async () => {
    const r = await sluice('flags', 'eval', 'max-cart-items', '-f', join(examples, 'flags', 'checkout.yaml'), '--context', '{"plan":"pro","appVersion":"2.5.0"}');
    expect(JSON.parse(r.stdout)).toMatchObject({ value: 100, variant: 'large', reason: 'TARGETING_MATCH' });
  });
});
