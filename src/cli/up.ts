import { createLogger, isLogLevel, LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { isTerminal } from '../engine/index.js';
import { missingSecrets } from '../notify/index.js';
import { startControlPlane, splitHostPort } from '../server/control-plane.js';
import { formatSpecError, parseServerConfig } from '../spec/index.js';
import { DEFAULT_SERVER_CONFIG } from '../spec/server-config.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN_FILE } from '../server/auth-tokens.js';
import { CliError } from './client.js';
import { DEFAULT_SERVER } from './config.js';
import { readSource } from './local-commands.js';

export interface UpFlags {
  api?: string;
  dataDir?: string;
  config?: string;
  logLevel?: string;
  proxyWorkers?: string;
  publicUrl?: string;
}

/** `sluice up`: runs until SIGINT/SIGTERM, then shuts down cleanly. */
export async function runUp(flags: UpFlags): Promise<void> {
  const settings = resolveSettings(flags);
  const logger = createLogger({ level: settings.logLevel });
  let plane;
  try {
    plane = await startControlPlane({ api: settings.api, dataDir: settings.dataDir, logger, publicMetrics: settings.publicMetrics, proxyWorkers: settings.proxyWorkers, ...(settings.publicUrl ? { publicUrl: settings.publicUrl } : {}) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new CliError(`the API address ${settings.api} is already in use; pick another with --api HOST:PORT`, 1, 'SLUICE_API_LISTEN', undefined, { cause: err });
    throw new CliError(e.message, 1, typeof e.code === 'string' ? e.code : 'SLUICE_UP_FAILED', undefined, { cause: err });
  }
  // The CLI finds this server and its token by itself only at the defaults (127.0.0.1:7070, ./.sluice): otherwise say what to set.
  const tokenFile = join(settings.dataDir, ADMIN_TOKEN_FILE);
  const env = [
    ...(plane.url === DEFAULT_SERVER ? [] : [`SLUICE_SERVER=${plane.url}`]),
    ...(settings.dataDir === '.sluice' || !existsSync(tokenFile) ? [] : [`SLUICE_TOKEN=$(cat ${tokenFile})`]),
  ];
  // One write, so whoever reads this process's output gets the whole banner at once.
  const banner = [`sluice: API on ${plane.url}, dashboard at ${plane.url}/, state in ${settings.dataDir}.\n`];
  banner.push(
    env.length === 0
      ? 'sluice: try: sluice apply -f examples/canary-steps.yaml\n'
      : `sluice: the CLI needs to know where this server is; in another shell:\n        export ${env.join(' ')}\n        sluice apply -f examples/canary-steps.yaml\n`,
  );
  if (plane.adminToken) {
    banner.push(
      `sluice: created an admin token in ${plane.adminToken.file} (readable by you only).` +
        (settings.dataDir === '.sluice' ? ' The CLI uses it from this directory on 127.0.0.1;\n' : '\n') +
        `        elsewhere: export SLUICE_TOKEN=$(cat ${plane.adminToken.file}), and \`sluice token create --role viewer --name NAME\` makes tokens for others.\n`,
    );
  }
  // Rollouts stored by an earlier start may sign with keys this environment lacks: their notifications would not go out.
  for (const record of plane.controller.list()) {
    if (isTerminal(record.state.phase)) continue;
    for (const m of missingSecrets(record.state.spec.notifications)) {
      banner.push(`sluice: warning: rollout "${record.name}" (${m.path}): ${m.message}; until then they are not sent\n`);
    }
  }
  process.stderr.write(banner.join(''));
  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolveStop();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await plane.close();
}

function resolveSettings(flags: UpFlags): { api: string; dataDir: string; logLevel: LogLevel; publicMetrics: boolean; proxyWorkers: number; publicUrl?: string } {
  let fromFile: { api?: string; dataDir?: string; logLevel?: LogLevel; auth?: { publicMetrics: boolean }; publicUrl?: string } = {};
  if (flags.config) {
    const { config, errors } = parseServerConfig(readSource(flags.config), flags.config);
    if (errors.length || !config) throw new CliError(`${flags.config} is not a valid ServerConfig:\n${errors.map((e) => '  ' + formatSpecError(e)).join('\n')}`, 1, 'SLUICE_INVALID_CONFIG');
    fromFile = config;
  }
  const api = flags.api ?? fromFile.api ?? '127.0.0.1:7070';
  try {
    splitHostPort(api);
  } catch (err) {
    throw new CliError(`--api: ${(err as Error).message}`);
  }
  const level = flags.logLevel ?? fromFile.logLevel ?? 'info';
  if (!isLogLevel(level)) throw new CliError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  const proxyWorkers = Number(flags.proxyWorkers ?? '1');
  if (!Number.isInteger(proxyWorkers) || proxyWorkers < 1 || proxyWorkers > 64) {
    throw new CliError(`--proxy-workers must be a whole number from 1 to 64 (1: the proxy runs in this process), got "${flags.proxyWorkers}"`);
  }
  const publicUrl = flags.publicUrl ?? fromFile.publicUrl;
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(publicUrl)) throw new CliError(`--public-url must be an http:// or https:// URL such as https://sluice.example.com, got "${publicUrl}"`);
  return { api, dataDir: flags.dataDir ?? fromFile.dataDir ?? '.sluice', logLevel: level, publicMetrics: fromFile.auth?.publicMetrics ?? DEFAULT_SERVER_CONFIG.auth.publicMetrics, proxyWorkers, ...(publicUrl ? { publicUrl } : {}) };
}
