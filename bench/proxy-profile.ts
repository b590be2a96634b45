/** Summarises a V8 .cpuprofile: where the proxy process spent its CPU time. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** CPU time sampled, excluding idle, in ms. */
  busyMs: number;
  /** Share of busy time by area (sluice, undici, node http, streams, net, gc, …). */
  areas: Array<{ area: string; pct: number }>;
  /** Functions with the most self time. */
  top: Array<{ fn: string; where: string; pct: number }>;
}

function areaOf(fn: string, url: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)' || url === '') return 'native / V8';
  if (url.includes('/src/proxy/')) return 'sluice proxy';
  if (url.includes('node_modules/undici/')) return 'undici';
  if (/node:_http|node:http/.test(url)) return 'node http';
  if (url.includes('node:internal/streams') || url.includes('node:stream')) return 'node streams';
  if (/node:net|node:internal\/(net|stream_base_commons|tcp)/.test(url)) return 'node net';
  if (url.startsWith('node:')) return 'node other';
  return 'other js';
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('/node_modules/');
  if (i >= 0) return url.slice(i + '/node_modules/'.length);
  const j = url.indexOf('/dist-bench/');
  return j >= 0 ? url.slice(j + '/dist-bench/'.length) : url;
}

export function summariseProfile(file: string, topN = 12): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + p.timeDeltas[i]);
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const area = areaOf(functionName, url);
    if (area === 'idle') continue;
    busy += us;
    areas.set(area, (areas.get(area) ?? 0) + us);
    const key = `${functionName || '(anonymous)'}\t${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const pct = (us: number): number => Math.round((1000 * us) / busy) / 10;
  return {
    busyMs: Math.round(busy / 1000),
    areas: [...areas].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, pct: pct(us) })),
    top: [...fns]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([key, us]) => {
        const [fn, where] = key.split('\t');
        return { fn, where, pct: pct(us) };
      }),
  };
}
