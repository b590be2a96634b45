import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFilePath, DEFAULT_SERVER, readConfigFile, resolveConnection } from './config.js';

let dir: string;
let home: string;
let cwd: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cli-config-'));
  home = join(dir, 'home');
  cwd = join(dir, 'work');
  mkdirSync(home);
  mkdirSync(cwd);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = (c: string) => `sluice_${'a'.repeat(12)}_${c.repeat(43)}`;

function writeConfig(text: string, base = join(home, '.config')): string {
  mkdirSync(join(base, 'sluice'), { recursive: true });
  const file = join(base, 'sluice', 'config.yaml');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

describe('configFilePath', () => {
  it('uses XDG_CONFIG_HOME when it is an absolute path, else ~/.config', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toBe('/xdg/sluice/config.yaml');
    expect(configFilePath({}, '/home/u')).toBe('/home/u/.config/sluice/config.yaml');
    expect(configFilePath({ XDG_CONFIG_HOME: 'relative' }, '/home/u')).toBe('/home/u/.config/sluice/config.yaml');
  });
});

describe('resolveConnection', () => {
  it('takes flags over environment over the config file over defaults, and says where each came from', () => {
    const file = writeConfig(`server: http://config:1\ntoken: ${TOKEN('c')}\n`);
    const env = { SLUICE_SERVER: 'http://env:2', SLUICE_TOKEN: TOKEN('e') };
    expect(resolveConnection({ server: 'http://flag:3', token: TOKEN('f') }, { env, home, cwd })).toMatchObject({
      server: 'http://flag:3',
      serverSource: '--server',
      token: TOKEN('f'),
      tokenSource: '--token',
    });
    expect(resolveConnection({}, { env, home, cwd })).toMatchObject({ server: 'http://env:2', serverSource: 'SLUICE_SERVER', token: TOKEN('e'), tokenSource: 'SLUICE_TOKEN' });
    expect(resolveConnection({}, { env: {}, home, cwd })).toMatchObject({ server: 'http://config:1', serverSource: file, token: TOKEN('c'), tokenSource: file, warnings: [] });
    rmSync(file);
    expect(resolveConnection({}, { env: {}, home, cwd })).toEqual({ server: DEFAULT_SERVER, serverSource: 'default', token: undefined, tokenSource: undefined, warnings: [] });
  });

  it('reads the config under XDG_CONFIG_HOME, and a tokenFile relative to it', () => {
    const xdg = join(dir, 'xdg');
    writeConfig('server: https://sluice.example.com\ntokenFile: ci-token\n', xdg);
    writeFileSync(join(xdg, 'sluice', 'ci-token'), `${TOKEN('t')}\n`);
    expect(resolveConnection({}, { env: { XDG_CONFIG_HOME: xdg }, home, cwd })).toMatchObject({
      server: 'https://sluice.example.com',
      token: TOKEN('t'),
      tokenSource: join(xdg, 'sluice', 'ci-token'),
    });
  });

  it('uses ./.sluice/admin-token only for a server on this machine, and only when no token was given', () => {
    mkdirSync(join(cwd, '.sluice'));
    writeFileSync(join(cwd, '.sluice', 'admin-token'), `${TOKEN('a')}\n`);
    expect(resolveConnection({}, { env: {}, home, cwd })).toMatchObject({ token: TOKEN('a'), tokenSource: join(cwd, '.sluice', 'admin-token') });
    expect(resolveConnection({ server: 'http://localhost:9999' }, { env: {}, home, cwd }).token).toBe(TOKEN('a'));
    expect(resolveConnection({ server: 'http://10.0.0.5:7070' }, { env: {}, home, cwd }).token).toBeUndefined();
    expect(resolveConnection({}, { env: { SLUICE_TOKEN: TOKEN('e') }, home, cwd }).token).toBe(TOKEN('e'));
  });

  it('warns when the config file holding a token is readable by others', () => {
    const file = writeConfig(`token: ${TOKEN('c')}\n`);
    chmodSync(file, 0o644);
    expect(resolveConnection({}, { env: {}, home, cwd }).warnings).toEqual([`${file} holds a token and others can read it; run: chmod 600 ${file}`]);
  });

  it('rejects a server that is not an http(s) URL, naming where it came from', () => {
    expect(() => resolveConnection({}, { env: { SLUICE_SERVER: '127.0.0.1:7070' }, home, cwd })).toThrow(
      'the server URL "127.0.0.1:7070" (from SLUICE_SERVER) is not an http(s) URL; use one such as http://127.0.0.1:7070',
    );
  });
});

describe('readConfigFile', () => {
  it('treats a missing or empty file as no settings', () => {
    expect(readConfigFile(join(dir, 'none.yaml'))).toEqual({});
    expect(readConfigFile(writeConfig('\n# nothing yet\n'))).toEqual({});
  });

  it('reports every mistake with file, line, column and field, and suggests the right name', () => {
    const file = writeConfig('server: 127.0.0.1:7070\ntokn: x\n');
    expect(() => readConfigFile(file)).toThrow(
      `${file} is not a valid sluice CLI config:\n` +
        `  ${file}:1:9: server: must be an http(s) URL such as http://127.0.0.1:7070, got "127.0.0.1:7070"\n` +
        `  ${file}:2:1: tokn: unknown field; did you mean "token"?`,
    );
  });
});
