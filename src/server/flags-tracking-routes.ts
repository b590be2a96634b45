import type { FastifyInstance } from 'fastify';
import type { FlagService } from '../flags/service.js';
import type { TrackingAggregator } from '../flags/tracking.js';
import type { VariantOutcomes } from '../flags/tracking-types.js';
import { Histogram } from '../proxy/histogram.js';
import { ApiError } from './errors.js';
import { clientKeyHook, clientKeyOf } from './ofrep-routes.js';

/**
 * POST /sdk/v1/track (client key): outcomes that applications measured, per
 * flag variant, batched by the OpenFeature provider. They feed the judge of
 * guarded flag rollouts. Outcomes of flags or variants the environment does
 * not define are skipped and listed in the answer, so a typo is visible.
 */

const PUBLIC = { config: { role: 'public' } } as const;
const MAX_OUTCOMES = 1000;

export function registerFlagTrackingRoutes(app: FastifyInstance, opts: { flags: FlagService; tracking: TrackingAggregator }): void {
  app.post('/sdk/v1/track', {
    ...PUBLIC,
    onRequest: clientKeyHook(opts.flags),
    schema: { summary: 'Outcomes (requests, errors, latency) per flag variant, for guarded flag rollouts', tags: ['flags-sdk'] },
  }, async (req) => {
    const key = clientKeyOf(req);
    const outcomes = parseBatch(req.body);
    const compiled = opts.flags.snapshot(key.environment).compiled;
    const skipped: Array<{ flag: string; variant: string; reason: string }> = [];
    let accepted = 0;
    for (const o of outcomes) {
      const entry = compiled.get(o.flag);
      if (!entry) skipped.push({ flag: o.flag, variant: o.variant, reason: `no flag "${o.flag}" in environment "${key.environment}"` });
      else if (!Object.hasOwn(entry.flag.variants, o.variant)) skipped.push({ flag: o.flag, variant: o.variant, reason: `flag "${o.flag}" has no variant "${o.variant}"` });
      else {
        opts.tracking.add(key.environment, o);
        accepted++;
      }
    }
    return { accepted, skipped };
  });
}

function bad(message: string): ApiError {
  return new ApiError(400, 'SLUICE_BAD_REQUEST', message);
}

/** Checks a batch; every problem names the entry and field. */
export function parseBatch(body: unknown): VariantOutcomes[] {
  const example = 'send {"outcomes": [{"flag": "new-checkout", "variant": "on", "requests": 10, "errors": 1}]}';
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { outcomes?: unknown }).outcomes)) throw bad(example);
  const list = (body as { outcomes: unknown[] }).outcomes;
  if (list.length > MAX_OUTCOMES) throw bad(`at most ${MAX_OUTCOMES} outcomes per batch, got ${list.length}; send several batches`);
  return list.map((raw, i): VariantOutcomes => {
    const at = `outcomes[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw bad(`${at} must be an object; ${example}`);
    const o = raw as Record<string, unknown>;
    if (typeof o.flag !== 'string' || o.flag === '') throw bad(`${at}.flag must be a flag key`);
    if (typeof o.variant !== 'string' || o.variant === '') throw bad(`${at}.variant must be a variant name`);
    const count = (field: 'requests' | 'errors') => {
      const v = o[field];
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad(`${at}.${field} must be a whole number ≥ 0, got ${JSON.stringify(v)}`);
      return v as number;
    };
    const requests = count('requests');
    const errors = count('errors');
    if (errors > requests) throw bad(`${at}.errors (${errors}) must not exceed requests (${requests}): an error is a failed request`);
    if (o.latency === undefined) return { flag: o.flag, variant: o.variant, requests, errors };
    try {
      const h = Histogram.fromData(o.latency as never);
      if (h.count > requests) throw new Error(`it holds ${h.count} values for ${requests} requests`);
      return { flag: o.flag, variant: o.variant, requests, errors, latency: h.toData() };
    } catch (err) {
      throw bad(`${at}.latency is not a latency histogram: ${(err as Error).message}`);
    }
  });
}
