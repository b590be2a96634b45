import type { Measurement, MetricProvider, MetricQuery } from './provider.js';

export const MEMORY_PROVIDER_TYPE = 'memory';

/**
 * A provider answering from a table set by the caller: the fake for tests of
 * code that measures through a MetricProvider. Unset entries are `nodata`.
 */
export class MemoryProvider implements MetricProvider {
  readonly type = MEMORY_PROVIDER_TYPE;
  readonly queries: MetricQuery[] = [];
  private readonly table = new Map<string, Measurement>();

  set(metric: string, version: MetricQuery['version'], m: Measurement): this {
    this.table.set(`${metric}\u0000${version}`, m);
    return this;
  }

  async query(q: MetricQuery): Promise<Measurement> {
    this.queries.push({ ...q });
    return { ...(this.table.get(`${q.metric}\u0000${q.version}`) ?? { phase: 'nodata', message: `nothing set for ${q.metric} (${q.version})` }) };
  }
}
