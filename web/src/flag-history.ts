import { ApiError, type Api } from './api.js';
import { h, fill } from './dom.js';
import { dateTime } from './format.js';
import type { StoredFlagEvent } from './types.js';

const PAGE = 1000;
/** Older changes than this many are left to `sluice flags history`. */
const MAX_LOADED = 20_000;
const SHOWN = 200;

/**
 * Who changed a flag, when, and what (each event's own description, as
 * `sluice flags history` prints it), newest first. Loads the stored history
 * and then only what came after the last change it has.
 */
export class FlagHistory {
  readonly el: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly note: HTMLElement;
  private readonly events: StoredFlagEvent[] = [];
  private after = 0;
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly api: Api,
    private readonly environment: string,
    private readonly key: string,
  ) {
    this.body = h('tbody');
    this.note = h('p', { class: 'empty' }, 'Loading history…');
    this.el = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'flag-history-heading' },
      h('h3', { id: 'flag-history-heading' }, 'History'),
      h('table', { class: 'data flag-history' }, h('thead', null, h('tr', null, ['Time', 'By', 'Change'].map((t) => h('th', { scope: 'col' }, t)))), this.body),
      this.note,
    );
  }

  /** The latest change, once loaded. */
  get last(): StoredFlagEvent | undefined {
    return this.events[this.events.length - 1];
  }

  /** Fetches what is new; calls made while one runs are folded into one more run. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.fetchNew().finally(() => {
      this.loading = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.loading;
  }

  private async fetchNew(): Promise<void> {
    const path = `/flags/${encodeURIComponent(this.environment)}/${encodeURIComponent(this.key)}/history`;
    try {
      for (let loaded = 0; loaded < MAX_LOADED; loaded += PAGE) {
        const { events } = await this.api.get<{ events: StoredFlagEvent[] }>(`${path}?after=${this.after}&limit=${PAGE}`);
        this.events.push(...events);
        if (events.length) this.after = events[events.length - 1]!.seq;
        if (events.length < PAGE) break;
      }
      this.render();
    } catch (err) {
      this.note.hidden = false;
      this.note.className = 'error';
      this.note.setAttribute('role', 'alert');
      this.note.textContent = `Could not load the history: ${err instanceof ApiError ? err.message : (err as Error).message}`;
    }
  }

  private render(): void {
    const newest = this.events.slice(-SHOWN).reverse();
    fill(
      this.body,
      newest.map((e) =>
        h('tr', { 'data-seq': e.seq, 'data-type': e.type }, h('td', { class: 'time' }, dateTime(e.time)), h('td', { class: 'actor-cell' }, e.actor), h('td', { class: 'change' }, e.message)),
      ),
    );
    const hidden = this.events.length - newest.length;
    this.note.className = 'empty';
    this.note.removeAttribute('role');
    this.note.hidden = this.events.length > 0 && hidden === 0;
    this.note.textContent = this.events.length === 0 ? 'No changes recorded.' : `${hidden} older changes are not shown: \`sluice flags history ${this.key} --environment ${this.environment}\` lists them all.`;
  }
}
