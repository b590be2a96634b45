import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers for end-to-end tests: the real CLI, a real server process. */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SLUICE = join(ROOT, 'bin/sluice.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** An empty config home, so a developer's own ~/.config/sluice/config.yaml never leaks into a test. */
const EMPTY_CONFIG_HOME = mkdtempSync(join(tmpdir(), 'sluice-config-'));

/**
 * Runs `sluice ARGS…` to completion. The CLI sees no SLUICE_SERVER, SLUICE_TOKEN
 * or config file unless `env` sets them (XDG_CONFIG_HOME points at an empty directory).
 */
export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: EMPTY_CONFIG_HOME };
    delete env.SLUICE_SERVER;
    delete env.SLUICE_TOKEN;
    const child = spawn(process.execPath, [SLUICE, ...args], { cwd: opts.cwd ?? ROOT, env: { ...env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface ServerProcess {
  url: string;
  dataDir: string;
  /** The admin token `sluice up` wrote to <dataDir>/admin-token on the data directory's first start. */
  token: string;
  /** `sluice --server URL --token ADMIN ARGS…` */
  cli(...args: string[]): Promise<CliResult>;
  /** Headers for a raw request with the admin token. */
  auth: { authorization: string };
  child: ChildProcess;
  logs: () => string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: a crash. */
  kill(): Promise<void>;
}

/** Starts `sluice up` on a free API port; resolves once it prints where the API is. */
export function startServer(dataDir = tempDir('sluice-e2e-'), extraArgs: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SLUICE, 'up', '--api', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'debug', ...extraArgs], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sluice up did not start in time:\n${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d;
      const m = /API on (http:\/\/[^\s,]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
        resolve({
          url: m[1]!,
          dataDir,
          token,
          cli: (...args: string[]) => runCli(['--server', m[1]!, '--token', token, ...args]),
          auth: { authorization: `Bearer ${token}` },
          child,
          logs: () => output,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
          kill: async () => {
            child.kill('SIGKILL');
            await exited;
          },
        });
      }
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sluice up exited with ${code}:\n${output}`));
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a file into a temp dir and returns its path. */
export function writeTemp(name: string, text: string): string {
  const file = join(tempDir('sluice-files-'), name);
  writeFileSync(file, text);
  return file;
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 20_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A rollout document with the given upstreams; `extra` is YAML appended under spec. */
export function rolloutYaml(o: { name: string; listen: string; stable: string; canary: string; steps: string; analysis?: string; extra?: string }): string {
  return `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata:
  name: ${o.name}
spec:
  service:
    listen: ${o.listen}
    stable: {upstreams: [${o.stable}]}
    canary: {upstreams: [${o.canary}]}
  strategy:
    canary:
      steps:
${o.steps
  .trim()
  .split('\n')
  .map((l) => '        ' + l.trim())
  .join('\n')}
${o.analysis ? '  analysis:\n' + o.analysis.replace(/^\n/, '').replace(/^/gm, '    ').replace(/^\s+$/gm, '') : ''}
${o.extra ?? ''}`;
}
