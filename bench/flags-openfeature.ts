import type { Provider } from '@openfeature/server-sdk';
import type { FlagSet } from '../src/spec/flagset-types.js';
import { versionOf, type Peer } from './flags-peers.js';

/**
 * Evaluation through the OpenFeature server SDK: a no-op provider returning a
 * constant (the SDK's own floor) and, when it exists, Sluice's in-process
 * provider, so the bench can report what the provider adds over the floor.
 */

const NOOP: Provider = {
  metadata: { name: 'noop (constant)' },
  runsOn: 'server',
  resolveBooleanEvaluation: async () => ({ value: false, reason: 'STATIC' }),
  resolveStringEvaluation: async (_k, d) => ({ value: d, reason: 'STATIC' }),
  resolveNumberEvaluation: async (_k, d) => ({ value: d, reason: 'STATIC' }),
  resolveObjectEvaluation: async (_k, d) => ({ value: d, reason: 'STATIC' }),
};

/** Sluice's OpenFeature provider (sluice/openfeature) over the bench FlagSet, offline. */
async function sluiceProvider(flagSet: FlagSet): Promise<Provider | undefined> {
  const { SluiceProvider } = await import('../src/openfeature/index.js');
  return new SluiceProvider({ flagSets: [flagSet] });
}

async function through(domain: string, provider: Provider, name: string): Promise<Peer> {
  const { OpenFeature } = await import('@openfeature/server-sdk');
  await OpenFeature.setProviderAndWait(domain, provider);
  const client = OpenFeature.getClient(domain);
  return {
    name,
    version: versionOf('@openfeature/server-sdk'),
    prepare: (ctx) => ({ targetingKey: ctx.targetingKey, country: ctx.country }),
    evaluate: (ctx) => client.getBooleanValue('new-checkout', false, ctx as Record<string, string>),
    close: async () => undefined,
  };
}

export async function openFeatureSubjects(flagSet: FlagSet): Promise<{ noop: Peer; sluice?: Peer; note?: string }> {
  const noop = await through('bench-noop', NOOP, 'OpenFeature client + no-op provider');
  const provider = await sluiceProvider(flagSet);
  if (!provider) {
    return { noop, note: "Sluice's OpenFeature provider is not in this tree yet: openfeatureNsPerEval and openfeatureOverheadRatio are null until it lands (bench/flags-openfeature.ts wires it)" };
  }
  return { noop, sluice: await through('bench-sluice', provider, 'OpenFeature client + Sluice provider') };
}

export async function closeOpenFeature(): Promise<void> {
  const { OpenFeature } = await import('@openfeature/server-sdk');
  await OpenFeature.close();
}
