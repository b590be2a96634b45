import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloutView } from '../server/views.js';
import type { ApiClient } from './client.js';
import { eventLine, statusBlock, statusLine, type OutputMode } from './render.js';

export interface FollowOptions {
  mode: OutputMode;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  intervalMs?: number;
  /** Only events after this sequence number are printed (default: those of the current revision). */
  afterSeq?: number;
  /** Stop following after this time even if not finished. */
  signal?: AbortSignal;
}

const TERMINAL = new Set(['promoted', 'rolled-back', 'aborted']);

/**
 * Follows a rollout until its revision ends: prints each decision as it is
 * recorded, and the live status (redrawn on a terminal, a line per change when
 * piped, one JSON object per line with --output json). Resolves with the final view.
 */
export async function follow(client: ApiClient, name: string, opts: FollowOptions): Promise<RolloutView> {
  const out = opts.out ?? process.stdout;
  const interval = opts.intervalMs ?? 1000;
  let view = await client.get(name);
  let after = opts.afterSeq ?? (await firstSeqOfRevision(client, name, view.revision));
  let drawn = 0;
  let lastLine = '';
  let lastPlainAt = 0;
  for (;;) {
    const { events } = await client.events(name, after);
    view = await client.get(name);
    if (drawn && opts.mode === 'tty') out.write(`\x1b[${drawn}A\x1b[J`);
    drawn = 0;
    for (const e of events) {
      after = e.seq;
      if (opts.mode === 'json') out.write(JSON.stringify({ event: e }) + '\n');
      else out.write(eventLine(e) + '\n');
    }
    const done = TERMINAL.has(view.phase);
    if (opts.mode === 'tty') {
      const block = statusBlock(view, true);
      out.write(block + '\n');
      drawn = done ? 0 : block.split('\n').length;
    } else {
      const line = statusLine(view);
      const key = `${view.phase}|${view.step.index}|${view.canaryWeight}|${view.message}`;
      // Piped: a line whenever something changes, and the numbers every 5 s.
      if (key !== lastLine || Date.now() - lastPlainAt >= 5000 || done) {
        out.write((opts.mode === 'json' ? JSON.stringify({ status: view }) : line) + '\n');
        lastLine = key;
        lastPlainAt = Date.now();
      }
    }
    if (done || opts.signal?.aborted) return view;
    await sleep(interval, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}

/** The seq just before the current revision's first event, so a watch shows this revision's story. */
async function firstSeqOfRevision(client: ApiClient, name: string, revision: number): Promise<number> {
  const { events } = await client.events(name, 0, 100000);
  const first = events.find((e) => e.revision === revision);
  return first ? first.seq - 1 : events.at(-1)?.seq ?? 0;
}
