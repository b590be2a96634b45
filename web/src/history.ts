import { h } from './dom.js';
import { dateTime, duration } from './format.js';
import type { StoredEvent } from './types.js';

export interface Revision {
  revision: number;
  startedAt: number;
  startedBy?: string;
  /** promoted, rolled-back, aborted; undefined while running. */
  outcome?: string;
  endedAt?: number;
  message: string;
  decisions: number;
  /** Times it was retried after ending. */
  retries: number;
}

const ENDINGS = new Set(['promoted', 'rolled-back', 'aborted', 'deleted']);

/** Each revision of a rollout from its stored events: when it started, who started it, how it ended. */
export function revisions(events: readonly StoredEvent[]): Revision[] {
  const byRev = new Map<number, Revision>();
  for (const e of events) {
    let r = byRev.get(e.revision);
    if (!r) {
      r = { revision: e.revision, startedAt: e.time, message: e.message, decisions: 0, retries: 0 };
      byRev.set(e.revision, r);
    }
    r.decisions++;
    r.message = e.message;
    if (e.type === 'started' || e.type === 'retried') {
      r.startedAt = Math.min(r.startedAt, e.time);
      r.startedBy ??= e.actor;
    }
    if (ENDINGS.has(e.type)) {
      r.outcome = e.type;
      r.endedAt = e.time;
    } else if (e.type === 'retried') {
      // A retry reopens the revision it ends.
      r.retries++;
      r.outcome = undefined;
      r.endedAt = undefined;
    }
  }
  return [...byRev.values()].sort((a, b) => b.revision - a.revision);
}

/** The table of past and current revisions, newest first. */
export function historyTable(events: readonly StoredEvent[], now: number): HTMLElement {
  const rows = revisions(events);
  if (!rows.length) return h('p', { class: 'empty' }, 'No history yet.');
  return h(
    'table',
    { class: 'data history' },
    h('thead', null, h('tr', null, ['Revision', 'Started', 'By', 'Outcome', 'Took', 'Decisions', 'Last word'].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          { 'data-revision': r.revision },
          h('th', { scope: 'row' }, String(r.revision)),
          h('td', null, dateTime(r.startedAt)),
          h('td', null, r.startedBy ?? '–'),
          h('td', null, h('span', { class: `phase ${r.outcome ?? 'progressing'}` }, r.outcome ?? 'in progress'), r.retries ? ` after ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}` : ''),
          h('td', null, duration((r.endedAt ?? now) - r.startedAt)),
          h('td', { class: 'n' }, r.decisions),
          h('td', null, r.message),
        ),
      ),
    ),
  );
}
