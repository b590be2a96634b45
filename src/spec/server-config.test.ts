import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_CONFIG, parseServerConfig } from './server-config.js';
import { formatSpecError } from './spec-error.js';

const HEAD = 'apiVersion: sluice.dev/v1alpha1\nkind: ServerConfig\n';

describe('parseServerConfig', () => {
  it.each([
    ['no spec', HEAD, DEFAULT_SERVER_CONFIG],
    ['an empty spec', `${HEAD}spec:\n`, DEFAULT_SERVER_CONFIG],
    ['some fields', `${HEAD}spec:\n  logLevel: debug\n`, { ...DEFAULT_SERVER_CONFIG, logLevel: 'debug' }],
    ['every field', `${HEAD}spec: {api: "0.0.0.0:9000", dataDir: /var/lib/sluice, logLevel: error}\n`, { api: '0.0.0.0:9000', dataDir: '/var/lib/sluice', logLevel: 'error', auth: { publicMetrics: true } }],
    ['auth settings', `${HEAD}spec:\n  auth: {publicMetrics: false}\n`, { ...DEFAULT_SERVER_CONFIG, auth: { publicMetrics: false } }],
  ])('applies defaults with %s', (_name, text, config) => {
    expect(parseServerConfig(text, 'c.yaml')).toEqual({ config, errors: [] });
  });

  it('reports every problem with its position', () => {
    const { config, errors } = parseServerConfig(`${HEAD}spec:\n  api: 127.0.0.1\n  datadir: x\n  logLevel: verbose\n`, 'c.yaml');
    expect(config).toBeUndefined();
    expect(errors.map(formatSpecError)).toEqual([
      'c.yaml:4:8: spec.api: must be host:port with a port from 1 to 65535, such as 127.0.0.1:7070, got "127.0.0.1"',
      'c.yaml:5:3: spec.datadir: unknown field; did you mean "dataDir"?',
      'c.yaml:6:13: spec.logLevel: must be one of "debug", "info", "warn", "error", got "verbose"',
    ]);
  });

  it('rejects a Rollout passed as a config and a missing kind', () => {
    expect(parseServerConfig('apiVersion: sluice.dev/v1alpha1\nkind: Rollout\n', 'c.yaml').errors.map(formatSpecError)).toEqual([
      'c.yaml:2:7: kind: must be "ServerConfig", got "Rollout"',
    ]);
    expect(parseServerConfig('apiVersion: sluice.dev/v1alpha1\nspec: {}\n', 'c.yaml').errors.map(formatSpecError)).toEqual([
      'c.yaml:1:1: kind: missing required field (document kind)',
    ]);
  });

  it('wants exactly one document', () => {
    expect(parseServerConfig('', 'c.yaml').errors.map(formatSpecError)).toEqual([
      'c.yaml:1:1: no documents found; expected a ServerConfig (apiVersion: sluice.dev/v1alpha1, kind: ServerConfig)',
    ]);
    expect(parseServerConfig(`${HEAD}---\n${HEAD}`, 'c.yaml').errors.map(formatSpecError)).toEqual([
      'c.yaml:4:1: expected one ServerConfig document, found 2; remove the extra documents',
    ]);
  });

  it('reports malformed YAML', () => {
    const { config, errors } = parseServerConfig(`${HEAD}spec: {api: "x\n`, 'c.yaml');
    expect(config).toBeUndefined();
    expect(errors.map(formatSpecError)).toEqual([
      'c.yaml:3:15: invalid YAML: Missing closing "quote',
      'c.yaml:3:15: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('returns a fresh object each time', () => {
    const a = parseServerConfig(HEAD, 'c.yaml').config!;
    a.logLevel = 'error';
    expect(parseServerConfig(HEAD, 'c.yaml').config?.logLevel).toBe('info');
    expect(Object.isFrozen(DEFAULT_SERVER_CONFIG)).toBe(true);
  });
});
