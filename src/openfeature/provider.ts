import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  type TrackingEventDetails,
} from '@openfeature/server-sdk';
import { request } from 'undici';
import { expectType } from '../flags/evaluate.js';
import { compileFlagSets, type CompiledFlags, type EvaluationResult } from '../flags/evaluator.js';
import { TRACK_ERROR, TRACK_REQUEST, type TrackingBatch } from '../flags/tracking-types.js';
import type { FlagSet, FlagType } from '../spec/flagset-types.js';
import { DefinitionsSource, type Definitions } from './definitions-source.js';
import { ProviderConfigError } from './errors.js';
import { loadDefinitionsFile } from './local-file.js';
import { TrackingBuffer } from './tracking-buffer.js';

export interface SluiceProviderOptions {
  /** The Sluice server's base URL (with `clientKey`): definitions, their stream, and tracking. */
  url?: string;
  /** A client key of the environment to evaluate (sluice_ck_…). */
  clientKey?: string;
  /** Local definitions to start from (JSON saved from GET /sdk/v1/flags, or FlagSet YAML): alone, the provider runs offline. */
  file?: string;
  /** Definitions given in code (already validated FlagSets of one environment), e.g. for tests and benchmarks. */
  flagSets?: FlagSet[];
  /** With a YAML `file` holding several environments: which one. */
  environment?: string;
  /** Flags that tracked outcomes are attributed to; default every flag with a percentage split (the ones a guarded rollout moves). */
  trackFlags?: string[];
  /** How often tracked outcomes are sent (default 1 s). */
  flushIntervalMs?: number;
  /** Send early once this many outcomes are waiting (default 10,000). */
  maxPendingEvents?: number;
  /** Stream reconnect backoff: first delay (default 250 ms) and cap (default 30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Timeout of each request to the server (default 5 s). */
  timeoutMs?: number;
}

/** What the application measured for one unit of work, attributed to the variants its user is served. */
export interface Outcome {
  /** The unit of work failed. */
  error?: boolean;
  latencyMs?: number;
  /** Attribute to this flag only (default: the tracked flags). */
  flagKey?: string;
}

const EMPTY = compileFlagSets([]);

/**
 * Sluice's OpenFeature server provider: evaluates in process with the
 * compiled evaluator, keeps the definitions current over the server's SSE
 * stream (reconnecting with backoff, keeping the last good ones meanwhile),
 * can start from a local file, emits ConfigurationChanged with `flagsChanged`,
 * and sends tracked outcomes (`client.track('request' | 'error', …)` or
 * {@link SluiceProvider.record}) per flag variant, for guarded rollouts.
 */
export class SluiceProvider implements Provider {
  readonly metadata = { name: 'sluice' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly #opts: SluiceProviderOptions;
  readonly #buffer = new TrackingBuffer();
  #source: DefinitionsSource | undefined;
  #compiled: CompiledFlags = EMPTY;
  #flagSets: FlagSet[] = [];
  #tracked: string[] = [];
  #ready = false;
  #stale = false;
  #revision: number | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;

  constructor(opts: SluiceProviderOptions) {
    if (opts.url === undefined && opts.file === undefined && opts.flagSets === undefined) throw new ProviderConfigError('the Sluice provider needs `url` and `clientKey` (a server), `file` or `flagSets` (offline), or both');
    if (opts.url !== undefined && !opts.clientKey) throw new ProviderConfigError('the Sluice provider needs `clientKey` with `url`: create one with `sluice flags keys create`');
    this.#opts = opts;
  }

  /** The revision of the definitions in use (undefined before any arrived). */
  get revision(): number | undefined {
    return this.#revision;
  }

  /** Tracked outcomes dropped because the server stayed unreachable and the buffer filled. */
  get droppedOutcomes(): number {
    return this.#buffer.dropped;
  }

  async initialize(): Promise<void> {
    const { url, clientKey, file } = this.#opts;
    if (this.#opts.flagSets !== undefined) this.#use({ environment: this.#opts.environment ?? '', revision: 0, flagSets: this.#opts.flagSets });
    if (file !== undefined) this.#use(loadDefinitionsFile(file, this.#opts.environment));
    if (url === undefined || clientKey === undefined) return;
    const source = new DefinitionsSource({
      url,
      clientKey,
      initialBackoffMs: this.#opts.initialBackoffMs,
      maxBackoffMs: this.#opts.maxBackoffMs,
      timeoutMs: this.#opts.timeoutMs,
      onDefinitions: (defs) => this.#use(defs),
      onError: (err) => this.#lost(err),
    });
    this.#source = source;
    this.#flushTimer = setInterval(() => void this.flush(), this.#opts.flushIntervalMs ?? 1000);
    this.#flushTimer.unref();
    try {
      this.#use(await source.fetch());
    } catch (err) {
      source.follow();
      if (!this.#ready) throw new Error(`Sluice flag definitions could not be fetched from ${url}, and no \`file\` to start from: ${(err as Error).message}`, { cause: err });
      return;
    }
    source.follow();
  }

  async onClose(): Promise<void> {
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    this.#source?.close();
    await this.flush();
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.#resolve(flagKey, defaultValue, context, 'boolean'));
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.#resolve(flagKey, defaultValue, context, 'string'));
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.#resolve(flagKey, defaultValue, context, 'number'));
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.#resolve(flagKey, defaultValue, context, 'object'));
  }

  /** OpenFeature tracking: `request` (details.value = latency ms, details.error = true when it failed) and `error` events count; others are ignored. */
  track(trackingEventName: string, context: EvaluationContext, details: TrackingEventDetails): void {
    if (trackingEventName !== TRACK_REQUEST && trackingEventName !== TRACK_ERROR) return;
    this.record(context, {
      error: trackingEventName === TRACK_ERROR || details?.error === true,
      latencyMs: typeof details?.value === 'number' ? details.value : undefined,
      flagKey: typeof details?.flagKey === 'string' ? details.flagKey : undefined,
    });
  }

  /** Records one unit of work of the user in `context`, under each tracked flag's variant for that user. */
  record(context: EvaluationContext, outcome: Outcome = {}): void {
    if (this.#opts.url === undefined) return;
    const flags = outcome.flagKey !== undefined ? [outcome.flagKey] : this.#tracked;
    for (const flag of flags) {
      const r = this.#compiled.evaluate(flag, context);
      if (r.errorCode === undefined && r.variant !== undefined) this.#buffer.record(flag, r.variant, outcome.error === true, outcome.latencyMs);
    }
    if (this.#buffer.pending >= (this.#opts.maxPendingEvents ?? 10_000)) void this.flush();
  }

  /** Sends the outcomes recorded so far; a failed send keeps them for the next one. Never rejects. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing.then(() => (this.#buffer.pending > 0 ? this.flush() : undefined));
    if (this.#buffer.pending === 0 || this.#opts.url === undefined) return Promise.resolve();
    this.#flushing = this.#send().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #send(): Promise<void> {
    const outcomes = this.#buffer.take();
    const body: TrackingBatch = { outcomes };
    try {
      const res = await request(`${this.#opts.url!.replace(/\/+$/, '')}/sdk/v1/track`, {
        method: 'POST',
        headers: { 'x-api-key': this.#opts.clientKey!, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 5000),
      });
      await res.body.dump();
      // A refused batch (4xx) would be refused again: only server trouble is worth a retry.
      if (res.statusCode >= 500) this.#buffer.restore(outcomes);
    } catch {
      this.#buffer.restore(outcomes);
    }
  }

  #resolve<T>(flagKey: string, defaultValue: T, context: EvaluationContext, type: FlagType): ResolutionDetails<T> {
    if (!this.#ready) return { value: defaultValue, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' as ResolutionDetails<T>['errorCode'], errorMessage: 'no flag definitions yet' };
    const r: EvaluationResult = expectType(this.#compiled.evaluate(flagKey, context), type);
    if (r.errorCode !== undefined) {
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: r.errorCode as ResolutionDetails<T>['errorCode'],
        errorMessage: r.errorMessage,
        ...(r.variant !== undefined ? { variant: r.variant } : {}),
        ...(r.flagMetadata ? { flagMetadata: r.flagMetadata } : {}),
      };
    }
    return { value: r.value as T, variant: r.variant, reason: r.reason, flagMetadata: r.flagMetadata };
  }

  #use(defs: Definitions): void {
    const before = this.#flagSets;
    let compiled: CompiledFlags;
    try {
      compiled = compileFlagSets(defs.flagSets);
    } catch {
      return; // Keep the last good definitions.
    }
    this.#compiled = compiled;
    this.#flagSets = defs.flagSets;
    this.#revision = defs.revision;
    this.#tracked = this.#opts.trackFlags ?? compiled.keys().filter((k) => Object.keys(compiled.get(k)!.flag.split ?? {}).length > 0);
    const wasReady = this.#ready;
    this.#ready = true;
    if (this.#stale) {
      this.#stale = false;
      this.events.emit(ProviderEvents.Ready, { message: 'flag definitions current again' });
    }
    if (!wasReady) return;
    const flagsChanged = changedFlags(before, defs.flagSets);
    if (flagsChanged.length > 0) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged, message: `flag definitions at revision ${defs.revision}` });
  }

  #lost(err: Error): void {
    if (!this.#ready || this.#stale) return;
    this.#stale = true;
    this.events.emit(ProviderEvents.Stale, { message: `serving the last good flag definitions (revision ${this.#revision}): ${err.message}` });
  }
}

/** Keys of flags added, removed or changed between two sets of definitions. */
export function changedFlags(before: readonly FlagSet[], after: readonly FlagSet[]): string[] {
  const index = (sets: readonly FlagSet[]) => {
    const m = new Map<string, string>();
    for (const s of sets) for (const [k, d] of Object.entries(s.spec.flags)) if (!m.has(k)) m.set(k, JSON.stringify([d, s.spec.segments]));
    return m;
  };
  const a = index(before);
  const b = index(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}
