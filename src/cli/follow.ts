import { setTimeout as sleep } from 'node:timers/promises';
import type { RolloutView, LiveView } from '../server/views.js';
import type { StoredEvent } from '../store/store.js';
import { CliError, type ApiClient } from './client.js';
import { eventLine, statusBlock, statusLine, type OutputMode } from './render.js';

export interface FollowOptions {
  mode: OutputMode;
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Polling interval when the event stream is not available (ms, default 1000). */
  intervalMs?: number;
  /** Only events after this sequence number are printed (default: those of the current revision). */
  afterSeq?: number;
  /** Stop following after this time even if not finished. */
  signal?: AbortSignal;
  /** Poll only, without trying the event stream. */
  poll?: boolean;
  /** Where a dropped stream is reported (default standard error). */
  notice?: (message: string) => void;
}

const TERMINAL = new Set(['promoted', 'rolled-back', 'aborted']);

/**
 * Follows a rollout until its revision ends: prints each decision as it is
 * recorded, and the live status (redrawn on a terminal, a line per change when
 * piped, one JSON object per line with --output json). Reads the server's
 * event stream; if the stream cannot be opened or drops, goes on by polling.
 * Resolves with the final view.
 */
export async function follow(client: ApiClient, name: string, opts: FollowOptions): Promise<RolloutView> {
  const screen = new Screen(opts.out ?? process.stdout, opts.mode);
  let view = await client.get(name);
  let after = opts.afterSeq ?? (await firstSeqOfRevision(client, name, view.revision));
  if (!opts.poll) {
    const streamed = await followStream(client, name, after, screen, opts.signal);
    if (streamed.done || opts.signal?.aborted) return streamed.view ?? view;
    after = streamed.after;
    (opts.notice ?? ((m: string) => process.stderr.write(m + '\n')))(`sluice: the event stream ${streamed.why}; following by polling instead`);
  }
  for (;;) {
    const { events } = await client.events(name, after);
    view = await client.get(name);
    for (const e of events) {
      after = e.seq;
      screen.event(e);
    }
    screen.status(view);
    if (TERMINAL.has(view.phase) || opts.signal?.aborted) return view;
    await sleep(opts.intervalMs ?? 1000, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}

type Streamed = { done: boolean; after: number; view?: RolloutView; why?: string };

async function followStream(client: ApiClient, name: string, from: number, screen: Screen, signal?: AbortSignal): Promise<Streamed> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  signal?.addEventListener('abort', stop, { once: true });
  let after = from;
  let view: RolloutView | undefined;
  try {
    const messages = await client.openEvents(name, after, ac.signal);
    for await (const m of messages) {
      if (m.event === 'decision') {
        const e = JSON.parse(m.data) as StoredEvent;
        if (e.seq <= after) continue;
        after = e.seq;
        screen.event(e);
      } else if (m.event === 'state') {
        view = JSON.parse(m.data) as RolloutView;
        screen.status(view);
        if (TERMINAL.has(view.phase)) return { done: true, after, view };
      } else if (m.event === 'metrics' && view) {
        const { live } = JSON.parse(m.data) as { live: LiveView | null };
        view = { ...view, live: live ?? undefined };
        screen.status(view);
      } else if (m.event === 'gone') {
        throw new CliError(`rollout "${name}" was deleted while it was being followed`, 1, 'SLUICE_NOT_FOUND');
      }
    }
    return { done: false, after, view, why: 'ended' };
  } catch (err) {
    // The server's own answers (no such rollout, no access) are the user's business; a broken stream is ours.
    if (err instanceof CliError && err.code !== 'SLUICE_UNREACHABLE' && err.code !== 'SLUICE_BAD_RESPONSE' && err.code !== 'SLUICE_NO_SUCH_ENDPOINT') throw err;
    return { done: false, after, view, why: `dropped (${(err as Error).message})` };
  } finally {
    signal?.removeEventListener('abort', stop);
    ac.abort();
  }
}

/** Prints events and the status: a redrawn block on a terminal, lines on change (and every 5 s) otherwise. */
class Screen {
  private drawn = 0;
  private last?: RolloutView;
  private lastKey = '';
  private lastPlainAt = 0;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly mode: OutputMode,
  ) {}

  event(e: StoredEvent): void {
    this.erase();
    this.out.write((this.mode === 'json' ? JSON.stringify({ event: e }) : eventLine(e)) + '\n');
    if (this.mode === 'tty' && this.last) this.status(this.last);
  }

  status(view: RolloutView): void {
    this.last = view;
    const done = TERMINAL.has(view.phase);
    if (this.mode === 'tty') {
      this.erase();
      const block = statusBlock(view, true);
      this.out.write(block + '\n');
      this.drawn = done ? 0 : block.split('\n').length;
      return;
    }
    const key = `${view.phase}|${view.step.index}|${view.canaryWeight}|${view.message}`;
    if (key !== this.lastKey || Date.now() - this.lastPlainAt >= 5000 || done) {
      this.out.write((this.mode === 'json' ? JSON.stringify({ status: view }) : statusLine(view)) + '\n');
      this.lastKey = key;
      this.lastPlainAt = Date.now();
    }
  }

  private erase(): void {
    if (this.drawn && this.mode === 'tty') this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }
}

/** The seq just before the current revision's first event, so a watch shows this revision's story. */
async function firstSeqOfRevision(client: ApiClient, name: string, revision: number): Promise<number> {
  const { events } = await client.events(name, 0, 100000);
  const first = events.find((e) => e.revision === revision);
  return first ? first.seq - 1 : events.at(-1)?.seq ?? 0;
}
