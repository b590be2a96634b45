import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { validateYaml } from '../spec/documents.js';
import { object, optional } from '../spec/schema.js';
import { string } from '../spec/schema-scalars.js';
import { formatSpecError } from '../spec/spec-error.js';
import type { Command } from 'commander';
import { ApiClient, CliError } from './client.js';

/** Where the CLI talks to and with which token, and where each came from (for messages). */
export interface Connection {
  server: string;
  /** "--server", "SLUICE_SERVER", the config file's path, or "default". */
  serverSource: string;
  token?: string;
  /** "--token", "SLUICE_TOKEN", the config file's path, or the admin-token file's path. */
  tokenSource?: string;
  /** Things the user should fix (e.g. a config file holding a token that others can read). */
  warnings: string[];
}

/** The settings `~/.config/sluice/config.yaml` may hold. */
export interface CliConfig {
  server?: string;
  token?: string;
  /** A file holding the token (relative to the config file's directory). */
  tokenFile?: string;
}

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';
/** Where `sluice up` keeps its state by default, relative to where it runs. */
const DEFAULT_ADMIN_TOKEN = join('.sluice', 'admin-token');

const configSchema = object(
  {
    server: optional(string({ description: 'control-plane URL', expected: 'an http(s) URL such as http://127.0.0.1:7070', pattern: /^https?:\/\/[^\s/]+(\/\S*)?$/ })),
    token: optional(string({ description: 'API token', expected: 'a Sluice token (sluice_…)', pattern: /^sluice_\S+$/ })),
    tokenFile: optional(string({ description: 'file holding the API token', expected: 'a file path' })),
  },
  { description: 'sluice CLI settings', nullAsEmpty: true },
);

/** `$XDG_CONFIG_HOME/sluice/config.yaml`, else `~/.config/sluice/config.yaml`. */
export function configFilePath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'sluice', 'config.yaml');
}

/** Reads the CLI config file; a missing file is an empty config, a bad one an error naming file, line and field. */
export function readConfigFile(file: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read the CLI config ${file}: ${(err as Error).message}`, 1, 'SLUICE_INVALID_CONFIG', undefined, { cause: err });
  }
  if (isBlank(text)) return {};
  const { documents, errors } = validateYaml(configSchema, text, file, 'a mapping with server, token or tokenFile');
  if (documents.length > 1) errors.push({ file, path: '', message: 'expected one YAML document; remove the extra ones' });
  if (errors.length || !documents[0]?.value) {
    throw new CliError(`${file} is not a valid sluice CLI config:\n${errors.map((e) => '  ' + formatSpecError(e)).join('\n')}`, 1, 'SLUICE_INVALID_CONFIG');
  }
  return documents[0].value;
}

/**
 * Picks the server and token: flags, then environment (SLUICE_SERVER,
 * SLUICE_TOKEN), then the config file; as a convenience, a server on this
 * machine gets the admin token `sluice up` wrote to ./.sluice/admin-token.
 */
export function resolveConnection(
  flags: { server?: string; token?: string },
  ctx: { env?: NodeJS.ProcessEnv; cwd?: string; home?: string } = {},
): Connection {
  const env = ctx.env ?? process.env;
  const cwd = ctx.cwd ?? process.cwd();
  const file = configFilePath(env, ctx.home);
  const config = readConfigFile(file);
  const warnings: string[] = [];

  const [server, serverSource] = flags.server
    ? [flags.server, '--server']
    : env.SLUICE_SERVER
      ? [env.SLUICE_SERVER, 'SLUICE_SERVER']
      : config.server
        ? [config.server, file]
        : [DEFAULT_SERVER, 'default'];
  checkServer(server, serverSource);

  let token: string | undefined;
  let tokenSource: string | undefined;
  if (flags.token) [token, tokenSource] = [flags.token, '--token'];
  else if (env.SLUICE_TOKEN) [token, tokenSource] = [env.SLUICE_TOKEN.trim(), 'SLUICE_TOKEN'];
  else if (config.token) {
    [token, tokenSource] = [config.token, file];
    if (groupOrWorldReadable(file)) warnings.push(`${file} holds a token and others can read it; run: chmod 600 ${file}`);
  } else if (config.tokenFile) {
    const path = resolve(dirname(file), config.tokenFile);
    [token, tokenSource] = [readTokenFile(path, `tokenFile in ${file}`), path];
  } else if (isLoopback(server)) {
    const path = resolve(cwd, DEFAULT_ADMIN_TOKEN);
    if (existsSync(path)) [token, tokenSource] = [readTokenFile(path, 'the admin token `sluice up` wrote'), path];
  }
  return { server, serverSource, token, tokenSource, warnings };
}

/** A client for the server and token the user chose (flags, environment, config file); warnings go to stderr. */
export function connect(program: Command): ApiClient {
  const c = resolveConnection(program.opts() as { server?: string; token?: string });
  for (const w of c.warnings) process.stderr.write(`sluice: warning: ${w}\n`);
  return new ApiClient(c.server, { token: c.token, tokenSource: c.tokenSource });
}

/** Empty, or only comments: no settings (a fresh file is not an error). */
function isBlank(text: string): boolean {
  try {
    return parseYaml(text) == null;
  } catch {
    return false; // the validator reports the syntax error with its position
  }
}

function checkServer(server: string, source: string): void {
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new CliError(`the server URL "${server}" (from ${source}) is not an http(s) URL; use one such as ${DEFAULT_SERVER}`, 1, 'SLUICE_INVALID_CONFIG');
  }
}

function readTokenFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new CliError(`cannot read ${what} at ${path}: ${(err as Error).message}`, 1, 'SLUICE_INVALID_CONFIG', undefined, { cause: err });
  }
}

function isLoopback(server: string): boolean {
  const host = new URL(server).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

function groupOrWorldReadable(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}
