import { hostPort } from './address-fields.js';
import { validateYaml } from './documents.js';
import { INVALID, object, optional, required, withDefault, type Schema } from './schema.js';
import { httpUrlProblem } from './hook-schema.js';
import { oneOf, string } from './schema-scalars.js';
import { describeValue, type SpecError } from './spec-error.js';
import { API_VERSION } from './types.js';

/** Log levels of the control plane, most verbose first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Settings of `sluice up`, with defaults applied (the `spec` of a ServerConfig document). */
export interface ServerConfig {
  /** host:port of the control-plane API. */
  api: string;
  /** Directory for the SQLite store and other state. */
  dataDir: string;
  logLevel: LogLevel;
  auth: {
    /** Serve /metrics without a token (for Prometheus scrapers); every other API call needs one. */
    publicMetrics: boolean;
  };
  /** The base URL people reach the API at, for approve links in notifications (default: the API's own address). */
  publicUrl?: string;
}

function flag(description: string): Schema<boolean> {
  return {
    description,
    parse(value, path, issues) {
      if (typeof value === 'boolean') return value;
      issues.push({ path, at: 'value', message: `must be true or false, got ${describeValue(value)}` });
      return INVALID;
    },
    toJsonSchema: () => ({ type: 'boolean', description }),
  };
}

const configSpec = object(
  {
    api: withDefault(hostPort('host:port the control-plane API listens on', '127.0.0.1:7070'), '127.0.0.1:7070'),
    dataDir: withDefault(string({ description: 'directory for the store and other state', expected: 'a directory path' }), '.sluice'),
    logLevel: withDefault(oneOf(LOG_LEVELS, 'least severe log level written'), 'info'),
    auth: withDefault(
      object({ publicMetrics: withDefault(flag('serve /metrics without a token'), true) }, { description: 'API access: every call needs a bearer token except /healthz (and /metrics unless publicMetrics is false)', nullAsEmpty: true }),
      {},
    ),
    publicUrl: optional(string({
      description: 'the base URL people reach the API at, used in approve links of notifications (default: the API address)',
      expected: 'an http:// or https:// URL such as https://sluice.example.com',
      check: (v) => httpUrlProblem(v, 'https://sluice.example.com'),
    })),
  },
  { description: 'control-plane settings', nullAsEmpty: true },
);

/** The ServerConfig format definition (input form). */
export const serverConfigSchema = object(
  {
    apiVersion: required(oneOf<typeof API_VERSION>([API_VERSION], 'format version')),
    kind: required(oneOf(['ServerConfig'], 'document kind')),
    spec: withDefault(configSpec, {}),
  },
  { description: 'Settings for `sluice up --config FILE`.' },
);

/** The settings used when no config file is given. */
export const DEFAULT_SERVER_CONFIG: Readonly<ServerConfig> = Object.freeze({ api: '127.0.0.1:7070', dataDir: '.sluice', logLevel: 'info', auth: Object.freeze({ publicMetrics: true }) });

/**
 * Parses a ServerConfig file (one YAML document). Errors name file, line,
 * column and field, as for rollouts.
 */
export function parseServerConfig(text: string, file: string): { config?: ServerConfig; errors: SpecError[] } {
  const { documents, errors } = validateYaml(serverConfigSchema, text, file, `a ServerConfig (apiVersion: ${API_VERSION}, kind: ServerConfig)`);
  if (documents.length > 1) {
    const { line, column } = documents[1].source.start;
    errors.push({ file, line, column, path: '', message: `expected one ServerConfig document, found ${documents.length}; remove the extra documents` });
  }
  const value = documents[0]?.value;
  if (errors.length > 0 || value === undefined) return { errors };
  return { config: { ...value.spec }, errors: [] };
}
