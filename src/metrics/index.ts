import type { Dispatcher } from 'undici';
import type { MetricSourceSpec } from '../spec/types.js';
import { BUILTIN_PROVIDER_TYPE } from './builtin.js';
import { HTTP_PROVIDER_TYPE, HttpProvider } from './http.js';
import { PROMETHEUS_PROVIDER_TYPE, PrometheusProvider } from './prometheus.js';
import type { MetricProvider } from './provider.js';

export type { Measurement, MeasurementPhase, MetricProvider, MetricQuery } from './provider.js';

/** Every provider type the factory knows. */
export const PROVIDER_TYPES = [BUILTIN_PROVIDER_TYPE, PROMETHEUS_PROVIDER_TYPE, HTTP_PROVIDER_TYPE] as const;

export type MetricProviderErrorCode = 'SLUICE_UNKNOWN_PROVIDER' | 'SLUICE_PROVIDER_UNAVAILABLE';

export class MetricProviderError extends Error {
  override readonly name = 'MetricProviderError';
  constructor(
    readonly code: MetricProviderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ProviderDeps {
  /** The builtin provider (the embedded proxy's counts), which only the control plane can make. */
  builtin?: MetricProvider;
  /** undici dispatcher for the HTTP-based providers (default: undici's global one). */
  dispatcher?: Dispatcher;
}

/**
 * The provider for a metric's source, chosen by its `type`. An unknown type
 * throws MetricProviderError SLUICE_UNKNOWN_PROVIDER — never a silent fallback.
 */
export function createProvider(spec: MetricSourceSpec | { type: typeof BUILTIN_PROVIDER_TYPE }, deps: ProviderDeps = {}): MetricProvider {
  switch (spec.type) {
    case PROMETHEUS_PROVIDER_TYPE:
      return new PrometheusProvider(spec, { dispatcher: deps.dispatcher });
    case HTTP_PROVIDER_TYPE:
      return new HttpProvider(spec, { dispatcher: deps.dispatcher });
    case BUILTIN_PROVIDER_TYPE:
      if (deps.builtin) return deps.builtin;
      throw new MetricProviderError('SLUICE_PROVIDER_UNAVAILABLE', 'the builtin provider reads the embedded proxy; pass it as deps.builtin');
    default: {
      const type = (spec as { type?: unknown }).type;
      throw new MetricProviderError('SLUICE_UNKNOWN_PROVIDER', `unknown metric provider type ${JSON.stringify(type)}; known types are ${PROVIDER_TYPES.join(', ')}`);
    }
  }
}
