import { ApiError, type Api } from './api.js';
import { h, fill } from './dom.js';
import { dateTime } from './format.js';
import { explainEvent } from './explain.js';
import { historyTable } from './history.js';
import type { Marker } from './chart.js';
import type { Sides } from './flag-rollout.js';
import type { StoredEvent } from './types.js';

const PAGE = 1000;
/** Older decisions than this many are left to `sluice history`. */
const MAX_LOADED = 20_000;
const SHOWN = 300;

/** Noise on a chart: confirmations, passing checks and hooks that passed. */
function isMarker(e: StoredEvent): boolean {
  if (e.type === 'routes-confirmed') return false;
  if (e.type === 'check') return (e.data as { verdict?: string } | undefined)?.verdict !== 'pass';
  if (e.type === 'hook') return (e.data as { ok?: boolean } | undefined)?.ok === false;
  return true;
}

export function markerOf(e: StoredEvent): Marker {
  const verdict = (e.data as { verdict?: string } | undefined)?.verdict;
  const bad = e.type === 'rolled-back' || e.type === 'aborted' || e.type === 'hook' || (e.type === 'check' && verdict === 'fail');
  const tone = bad ? 'bad' : e.type === 'promoted' || e.type === 'judged' ? 'good' : 'info';
  return { t: e.time, label: `${e.type}: ${e.message}`, tone };
}

/**
 * A rollout's decisions, newest first, each with its explanation, and the
 * table of its revisions. Loads the stored history (GET …/events, paged) and
 * adds decisions as the stream delivers them.
 */
export class DecisionLog {
  readonly el: HTMLElement;
  readonly historyEl: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly note: HTMLElement;
  private readonly more: HTMLElement;
  private readonly bySeq = new Map<number, StoredEvent>();

  constructor(
    private readonly api: Api,
    private readonly name: string,
    /** How the rollout's two sides are named when a decision is explained. */
    private readonly sides: () => Sides,
  ) {
    this.list = h('ol', { class: 'decisions' });
    this.note = h('p', { class: 'empty' }, 'Loading history…');
    this.more = h('p', { class: 'empty', hidden: true });
    this.el = h('section', { class: 'panel', 'aria-labelledby': 'decisions-heading' }, h('h3', { id: 'decisions-heading' }, 'Decisions'), this.note, this.list, this.more);
    this.historyEl = h('section', { class: 'panel', 'aria-labelledby': 'history-heading' }, h('h3', { id: 'history-heading' }, 'History'), h('p', { class: 'empty' }, 'Loading history…'));
  }

  /** Stored decisions, oldest first. */
  get events(): StoredEvent[] {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  markers(): Marker[] {
    return this.events.filter(isMarker).map(markerOf);
  }

  async load(): Promise<void> {
    try {
      let after = 0;
      for (let loaded = 0; loaded < MAX_LOADED; loaded += PAGE) {
        const { events } = await this.api.get<{ events: StoredEvent[] }>(`/rollouts/${encodeURIComponent(this.name)}/events?after=${after}&limit=${PAGE}`);
        this.add(events);
        if (events.length < PAGE) break;
        after = events[events.length - 1]!.seq;
      }
      this.note.textContent = 'No decisions yet.';
      this.note.hidden = this.bySeq.size > 0;
    } catch (err) {
      this.note.className = 'error';
      this.note.setAttribute('role', 'alert');
      this.note.textContent = `Could not load the history: ${err instanceof ApiError ? err.message : (err as Error).message}`;
    }
  }

  /** Adds decisions (stored or streamed); returns whether any was new. */
  add(events: readonly StoredEvent[]): boolean {
    const fresh = events.filter((e) => e.rollout === this.name && !this.bySeq.has(e.seq)).sort((a, b) => a.seq - b.seq);
    if (!fresh.length) return false;
    for (const e of fresh) {
      this.bySeq.set(e.seq, e);
      // Newest first. Items already shown are never rebuilt, so an opened explanation stays open.
      const next = [...this.list.children].find((li) => Number((li as HTMLElement).dataset.seq) < e.seq) ?? null;
      this.list.insertBefore(this.item(e), next);
    }
    while (this.list.children.length > SHOWN) this.list.lastElementChild!.remove();
    this.number();
    this.note.hidden = true;
    const hidden = this.bySeq.size - this.list.children.length;
    this.more.hidden = hidden <= 0;
    this.more.textContent = `${hidden} older decisions are not shown: \`sluice history ${this.name}\` lists them all.`;
    fill(this.historyEl, h('h3', { id: 'history-heading' }, 'History'), historyTable(this.events, Date.now()));
    return true;
  }

  /**
   * Numbers each decision by its place in the rollout's history, oldest = 1,
   * so a decision keeps its number as newer ones arrive (a reversed list
   * renumbers, and Chromium miscounts one that grows).
   */
  private number(): void {
    const position = new Map(this.events.map((e, i) => [e.seq, i + 1]));
    for (const li of this.list.children as HTMLCollectionOf<HTMLLIElement>) li.value = position.get(Number(li.dataset.seq)) ?? 0;
  }

  private item(e: StoredEvent): HTMLLIElement {
    const explanation = explainEvent(e, this.sides());
    return h(
      'li',
      { class: `decision ${e.type}`, 'data-seq': e.seq, 'data-type': e.type },
      h(
        'p',
        { class: 'decision-head' },
        h('time', { datetime: new Date(e.time).toISOString() }, dateTime(e.time)),
        ' ',
        h('span', { class: `event-type ${e.type}` }, e.type),
        e.actor ? h('span', { class: 'actor' }, ` by ${e.actor}`) : null,
        h('span', { class: 'revision' }, ` rev ${e.revision}`),
      ),
      h('p', { class: 'decision-message' }, e.message),
      explanation.length ? h('details', null, h('summary', null, 'Why: the numbers'), explanation) : null,
    );
  }
}
