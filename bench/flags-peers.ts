import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The bench flag in each peer SDK, set up as its documentation says for
 * server-side use without a network (or, for Unleash, from a local HTTP
 * server that plays its API). Each peer gets its contexts in its own native
 * form, converted once before timing: the loop measures evaluation only.
 *
 * The flag: key `new-checkout`, variants on/off, "country equals NZ → on",
 * otherwise 10 % on, bucketed by the user key.
 */

export interface BenchContext {
  targetingKey: string;
  country: string;
}

export interface Peer {
  name: string;
  version: string;
  /** Converts one context to the SDK's native form (done before timing). */
  prepare(ctx: BenchContext): unknown;
  /** Evaluates the flag; true = on. Async SDKs return a promise. */
  evaluate(native: unknown): boolean | Promise<boolean>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** A package's version, from its package.json (found from its entry point: some packages do not export the file). */
export function versionOf(pkg: string): string {
  try {
    let dir = dirname(require.resolve(pkg));
    for (;;) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (json.name === pkg && json.version) return json.version;
      }
      const up = dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
  } catch {
    return 'unknown';
  }
}

const silent = { error() {}, warn() {}, info() {}, debug() {} };

export async function flagdPeer(): Promise<Peer> {
  const { FlagdCore } = await import('@openfeature/flagd-core');
  const core = new FlagdCore(undefined, silent);
  core.setConfigurations(JSON.stringify({
    flags: {
      'new-checkout': {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: { if: [{ '==': [{ var: 'country' }, 'NZ'] }, 'on', { fractional: [['on', 10], ['off', 90]] }] },
      },
    },
  }));
  return {
    name: '@openfeature/flagd-core',
    version: versionOf('@openfeature/flagd-core'),
    prepare: (ctx) => ({ targetingKey: ctx.targetingKey, country: ctx.country }),
    evaluate: (ctx) => core.resolveBooleanEvaluation('new-checkout', false, ctx as Record<string, string>, silent).value,
    close: async () => undefined,
  };
}

export async function growthbookPeer(): Promise<Peer> {
  const { GrowthBookClient } = await import('@growthbook/growthbook');
  const gb = new GrowthBookClient({});
  gb.initSync({
    payload: {
      features: {
        'new-checkout': {
          defaultValue: false,
          rules: [
            { condition: { country: 'NZ' }, force: true },
            { force: true, coverage: 0.1, hashAttribute: 'id' },
          ],
        },
      },
    },
  });
  return {
    name: '@growthbook/growthbook',
    version: versionOf('@growthbook/growthbook'),
    prepare: (ctx) => ({ attributes: { id: ctx.targetingKey, country: ctx.country } }),
    evaluate: (ctx) => gb.isOn('new-checkout', ctx as { attributes: Record<string, string> }),
    close: async () => gb.destroy(),
  };
}

export async function launchDarklyPeer(): Promise<Peer> {
  const ld = await import('@launchdarkly/node-server-sdk');
  const td = new ld.integrations.TestData();
  await td.usePreconfiguredFlag({
    key: 'new-checkout',
    on: true,
    version: 1,
    salt: 'new-checkout',
    variations: [true, false],
    offVariation: 1,
    rules: [{ id: 'nz', clauses: [{ attribute: 'country', op: 'in', values: ['NZ'], negate: false }], variation: 0 }],
    fallthrough: { rollout: { variations: [{ variation: 0, weight: 10_000 }, { variation: 1, weight: 90_000 }] } },
  });
  const client = ld.init('sdk-bench-offline', { updateProcessor: td.getFactory(), sendEvents: false, diagnosticOptOut: true, logger: silent });
  await client.waitForInitialization({ timeout: 10 });
  return {
    name: '@launchdarkly/node-server-sdk',
    version: versionOf('@launchdarkly/node-server-sdk'),
    prepare: (ctx) => ({ kind: 'user', key: ctx.targetingKey, country: ctx.country }),
    evaluate: async (ctx) => (await client.variation('new-checkout', ctx as { kind: string; key: string }, false)) === true,
    close: async () => client.close(),
  };
}

/** Unleash fetches toggles from its API: a local server plays it, so the SDK runs exactly as in production. */
export async function unleashPeer(): Promise<Peer> {
  const toggles = {
    version: 2,
    features: [
      {
        name: 'new-checkout',
        enabled: true,
        type: 'release',
        strategies: [
          { name: 'flexibleRollout', constraints: [{ contextName: 'country', operator: 'IN', values: ['NZ'] }], parameters: { rollout: '100', stickiness: 'userId', groupId: 'new-checkout' } },
          { name: 'flexibleRollout', constraints: [], parameters: { rollout: '10', stickiness: 'userId', groupId: 'new-checkout' } },
        ],
      },
    ],
  };
  const api: Server = createServer((req, res) => {
    if (req.url?.startsWith('/client/features')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(toggles));
    } else {
      res.writeHead(202).end();
    }
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const { Unleash, InMemStorageProvider } = await import('unleash-client');
  const unleash = new Unleash({
    url: `http://127.0.0.1:${(api.address() as AddressInfo).port}/`,
    appName: 'sluice-bench',
    refreshInterval: 3_600_000,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    skipInstanceCountWarning: true,
  });
  unleash.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('unleash-client did not become ready in 10 s')), 10_000);
    unleash.once('synchronized', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    name: 'unleash-client',
    version: versionOf('unleash-client'),
    prepare: (ctx) => ({ userId: ctx.targetingKey, properties: { country: ctx.country } }),
    evaluate: (ctx) => unleash.isEnabled('new-checkout', ctx as { userId: string }),
    close: async () => {
      unleash.destroy();
      await new Promise<void>((resolve) => api.close(() => resolve()));
    },
  };
}

export const PEERS: Array<{ name: string; start: () => Promise<Peer> }> = [
  { name: '@openfeature/flagd-core', start: flagdPeer },
  { name: 'unleash-client', start: unleashPeer },
  { name: '@launchdarkly/node-server-sdk', start: launchDarklyPeer },
  { name: '@growthbook/growthbook', start: growthbookPeer },
];
