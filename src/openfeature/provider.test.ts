import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFeature, ProviderEvents, type Client, type EventDetails } from '@openfeature/server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { startControlPlane, type ControlPlane } from '../server/control-plane.js';
import { parseFlagSetDocuments } from '../spec/flagset-parse.js';
import { SluiceProvider } from './provider.js';

const YAML = `
apiVersion: sluice.dev/v1alpha1
kind: FlagSet
metadata: { name: checkout, environment: production }
spec:
  flags:
    new-checkout:
      variants: { on: true, off: false }
      defaultVariant: off
      rules:
        - name: nz
          conditions: [{ attribute: country, equals: NZ }]
          serve: on
      split: { on: 10 }
    color:
      variants: { blue: "#00f", green: "#0f0" }
      defaultVariant: blue
`;

function changedOf(d: EventDetails): string[] {
  return 'flagsChanged' in d && Array.isArray(d.flagsChanged) ? d.flagsChanged : [];
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SluiceProvider through the OpenFeature client', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-of-'));
  let plane: ControlPlane;
  let api: string;
  let secret: string;
  let provider: SluiceProvider;
  let client: Client;

  const start = (address = '127.0.0.1:0') => startControlPlane({ api: address, dataDir, logger: silentLogger, tickMs: 3_600_000 });

  beforeAll(async () => {
    plane = await start();
    api = plane.url;
    const { flagSets } = parseFlagSetDocuments(YAML, 'test.yaml');
    plane.flags.apply(flagSets, 'test');
    secret = plane.flags.createClientKey('production', 'test', 'test').secret;
    provider = new SluiceProvider({ url: api, clientKey: secret, initialBackoffMs: 50, maxBackoffMs: 200, flushIntervalMs: 3_600_000 });
    await OpenFeature.setProviderAndWait('of-test', provider);
    client = OpenFeature.getClient('of-test');
  });

  afterAll(async () => {
    await OpenFeature.close();
    await plane.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('returns value, variant and reason, and the default with an error code instead of throwing', async () => {
    const nz = await client.getBooleanDetails('new-checkout', false, { targetingKey: 'u1', country: 'NZ' });
    expect(nz).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    expect(nz.flagMetadata).toMatchObject({ flagSet: 'checkout', rule: 'nz' });
    const split = await client.getBooleanDetails('new-checkout', true, { targetingKey: 'u1' });
    expect(split.reason).toBe('SPLIT');
    expect(split.errorCode).toBeUndefined();
    const missingKey = await client.getBooleanDetails('new-checkout', true, {});
    expect(missingKey).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
    const unknown = await client.getStringDetails('no-such-flag', 'dflt', { targetingKey: 'u1' });
    expect(unknown).toMatchObject({ value: 'dflt', reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    const wrongType = await client.getNumberDetails('color', 7, { targetingKey: 'u1' });
    expect(wrongType).toMatchObject({ value: 7, errorCode: 'TYPE_MISMATCH' });
    expect(await client.getStringValue('color', '', {})).toBe('#00f');
  });

  it('emits ConfigurationChanged with flagsChanged, and serves the new definitions', async () => {
    const seen: EventDetails[] = [];
    const handler = (d?: EventDetails) => void (d && seen.push(d));
    client.addHandler(ProviderEvents.ConfigurationChanged, handler);
    try {
      plane.flags.setFlag('production', 'color', { variant: 'green' }, 'test');
      const event = await until('a change event', () => seen.find((d) => changedOf(d).includes('color')));
      expect(changedOf(event)).toEqual(['color']);
      expect(await client.getStringValue('color', '', { targetingKey: 'u1' })).toBe('#0f0');
    } finally {
      client.removeHandler(ProviderEvents.ConfigurationChanged, handler);
    }
  });

  it('keeps the last good definitions while the server is down, and reconnects when it is back', async () => {
    const port = new URL(api).port;
    const stale: EventDetails[] = [];
    const changed: EventDetails[] = [];
    const onStale = (d?: EventDetails) => void (d && stale.push(d));
    const onChange = (d?: EventDetails) => void (d && changed.push(d));
    client.addHandler(ProviderEvents.Stale, onStale);
    client.addHandler(ProviderEvents.ConfigurationChanged, onChange);
    try {
      await plane.close();
      await until('the provider to notice', () => stale.length > 0);
      // Served from the last good definitions, not an error.
      expect(await client.getStringDetails('color', '', { targetingKey: 'u1' })).toMatchObject({ value: '#0f0', variant: 'green' });
      plane = await start(`127.0.0.1:${port}`);
      plane.flags.setFlag('production', 'color', { variant: 'blue' }, 'test');
      await until('the change after the restart', () => changed.find((d) => changedOf(d).includes('color')));
      expect(await client.getStringValue('color', '', { targetingKey: 'u1' })).toBe('#00f');
    } finally {
      client.removeHandler(ProviderEvents.Stale, onStale);
      client.removeHandler(ProviderEvents.ConfigurationChanged, onChange);
    }
  });

  it('sends tracked requests and errors per variant of the split flags', async () => {
    for (let i = 0; i < 400; i++) {
      const ctx = { targetingKey: `user-${i}` };
      const on = await client.getBooleanValue('new-checkout', false, ctx);
      client.track(on ? 'error' : 'request', ctx, { value: on ? 50 : 5 });
    }
    client.track('something-else', { targetingKey: 'user-1' });
    await provider.flush();
    const counts = plane.tracking.variants('production', 'new-checkout');
    expect(counts.on.requests + counts.off.requests).toBe(400);
    expect(counts.on.errors).toBe(counts.on.requests);
    expect(counts.off.errors).toBe(0);
    expect(counts.on.requests).toBeGreaterThan(15);
    expect(counts.on.requests).toBeLessThan(80);
    const split = plane.tracking.split('production', 'new-checkout', 'on')!;
    expect(split.variant.latency.count).toBe(counts.on.requests);
    // color has no split: nothing attributed to it.
    expect(plane.tracking.variants('production', 'color')).toEqual({});
  });
});

describe('SluiceProvider offline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-of-file-'));
  afterEach(() => OpenFeature.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts from a FlagSet file without a server', async () => {
    const file = join(dir, 'flags.yaml');
    writeFileSync(file, YAML);
    await OpenFeature.setProviderAndWait('offline', new SluiceProvider({ file }));
    const client = OpenFeature.getClient('offline');
    expect(await client.getBooleanDetails('new-checkout', false, { targetingKey: 'x', country: 'NZ' })).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
  });

  it('starts from the file when the server cannot be reached, and refuses a bad file clearly', async () => {
    const file = join(dir, 'defs.json');
    const { flagSets } = parseFlagSetDocuments(YAML, 'x.yaml');
    writeFileSync(file, JSON.stringify({ environment: 'production', revision: 3, flagSets }));
    const provider = new SluiceProvider({ file, url: 'http://127.0.0.1:9', clientKey: 'sluice_ck_x', maxBackoffMs: 100 });
    await OpenFeature.setProviderAndWait('fallback', provider);
    expect(await OpenFeature.getClient('fallback').getStringValue('color', '', {})).toBe('#00f');
    expect(provider.revision).toBe(3);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: sluice.dev/v1alpha1\nkind: FlagSet\nmetadata: { name: x, environment: production }\nspec:\n  flags:\n    f: { variants: { a: 1 }, defaultVariant: b }\n');
    await expect(new SluiceProvider({ file: broken }).initialize()).rejects.toThrow(/broken\.yaml/);
    expect(() => new SluiceProvider({})).toThrow(/url.*clientKey.*file/);
  });
});
