import type { BenchContext, Peer } from './flags-peers.js';

/**
 * Timed evaluation loops. Each subject gets a loop function of its own
 * (compiled from source, so V8 keeps separate type feedback per subject and
 * one SDK's shapes never slow another's loop down).
 */

export interface RoundResult {
  nsPerEval: number;
  onFraction: number;
}

type SyncLoop = (f: (x: unknown) => boolean, natives: unknown[], evals: number) => number;
type AsyncLoop = (f: (x: unknown) => Promise<boolean>, natives: unknown[], evals: number) => Promise<number>;

const SYNC_BODY = `
  let on = 0;
  const n = natives.length;
  for (let i = 0, j = 0; i < evals; i++) {
    if (f(natives[j]) === true) on++;
    if (++j === n) j = 0;
  }
  return on;`;

const ASYNC_BODY = `
  return (async () => {
    let on = 0;
    const n = natives.length;
    for (let i = 0, j = 0; i < evals; i++) {
      if ((await f(natives[j])) === true) on++;
      if (++j === n) j = 0;
    }
    return on;
  })();`;

export interface Subject {
  peer: Peer;
  natives: unknown[];
  isAsync: boolean;
  loop: SyncLoop | AsyncLoop;
}

/** Prepares a subject: native contexts, and whether its evaluate returns a promise. */
export function subject(peer: Peer, contexts: BenchContext[], tag: string): Subject {
  const natives = contexts.map((c) => peer.prepare(c));
  const isAsync = peer.evaluate(natives[0]) instanceof Promise;
  // A distinct source text per subject, so each loop has its own feedback.
  const source = `// ${tag}\n${isAsync ? ASYNC_BODY : SYNC_BODY}`;
  const loop = new Function('f', 'natives', 'evals', source) as SyncLoop | AsyncLoop;
  return { peer, natives, isAsync, loop };
}

export async function runRound(s: Subject, evals: number): Promise<RoundResult> {
  const f = s.peer.evaluate;
  const start = process.hrtime.bigint();
  const on = s.isAsync
    ? await (s.loop as AsyncLoop)(f as (x: unknown) => Promise<boolean>, s.natives, evals)
    : (s.loop as SyncLoop)(f as (x: unknown) => boolean, s.natives, evals);
  const ns = Number(process.hrtime.bigint() - start);
  return { nsPerEval: ns / evals, onFraction: on / evals };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
