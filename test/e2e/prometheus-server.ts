import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from '../../src/cli/demo.js';
import { tempDir, waitFor } from './harness.js';

/** A real Prometheus (Debian's /usr/bin/prometheus) for end-to-end tests: scrapes given targets every second. */

export const PROMETHEUS_BIN = process.env.SLUICE_PROMETHEUS ?? '/usr/bin/prometheus';

export interface PrometheusServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  pid: number;
  logs: () => string;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on a free loopback port with a temp config and TSDB,
 * scraping `targets` (host:port, path /metrics) every second; resolves once
 * it reports ready. Fails, never skips, when the binary is missing.
 */
export async function startPrometheus(targets: string[]): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BIN)) {
    throw new Error(`${PROMETHEUS_BIN} not found: these tests run a real Prometheus. Install it with \`sudo bash scripts/system-deps.sh\` (Debian package "prometheus"; CI installs it), or point SLUICE_PROMETHEUS at a prometheus binary.`);
  }
  const dir = tempDir('sluice-prometheus-');
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: sluice',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n'));
  const port = await freePort();
  const child: ChildProcess = spawn(PROMETHEUS_BIN, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor(async () => {
      if (gone) throw new Error(`prometheus exited:\n${output}`);
      const res = await request(`${url}/-/ready`);
      await res.body.dump();
      return res.statusCode === 200;
    }, 'Prometheus to be ready', 20_000, 100);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: child.pid!, logs: () => output, stop };
}
