import type { EventDraft } from '../engine/types.js';
import { StoreError } from './errors.js';
import {
  checkCount,
  checkName,
  checkNow,
  checkSeq,
  checkVersion,
  decodeEvent,
  decodeRecord,
  encodeEvent,
  prepareSave,
  type EventRow,
  type RolloutRow,
  type SaveInput,
} from './rows.js';
import type { RolloutRecord, Store, StoredEvent } from './store.js';

export const MEMORY_STORE_TYPE = 'memory';

/**
 * A Store kept in process memory, for tests and throwaway runs. It keeps the
 * same serialised rows as SqliteStore, so values are deep-copied in and out,
 * versions and sequence numbers behave identically, and what SQLite would
 * reject is rejected here too.
 */
export class MemoryStore implements Store {
  readonly type = MEMORY_STORE_TYPE;
  #rollouts = new Map<string, RolloutRow>();
  /** Sorted by seq. */
  #events: EventRow[] = [];
  /** Like AUTOINCREMENT: never reused, even after deletes. */
  #lastSeq = 0;
  #closed = false;

  getRollout(name: string): RolloutRecord | undefined {
    this.#open();
    const row = this.#rollouts.get(name);
    return row && decodeRecord(row);
  }

  listRollouts(): RolloutRecord[] {
    this.#open();
    return [...this.#rollouts.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(decodeRecord);
  }

  saveRollout(
    record: SaveInput,
    events: EventDraft[],
    expectedVersion: number,
    now: number,
  ): { record: RolloutRecord; events: StoredEvent[] } {
    this.#open();
    const save = prepareSave(record, events, expectedVersion, now);
    const existing = this.#rollouts.get(save.name);
    checkVersion(save.name, expectedVersion, existing?.version);
    const row: RolloutRow = {
      name: save.name,
      document: save.document,
      state: save.state,
      confirmed_routes: save.confirmedRoutes,
      version: expectedVersion + 1,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    const eventRows = save.events.map((e) => ({ ...e, seq: ++this.#lastSeq }));
    this.#rollouts.set(save.name, row);
    this.#events.push(...eventRows);
    return { record: decodeRecord(row), events: eventRows.map(decodeEvent) };
  }

  deleteRollout(name: string, event: EventDraft, now: number): boolean {
    this.#open();
    checkName(name, 'deleteRollout: name');
    checkNow(now, `deleteRollout("${name}")`);
    const existing = this.#rollouts.get(name);
    if (!existing) return false;
    const revision = decodeRecord(existing).state.revision;
    const row = encodeEvent(event, name, revision, now, `deleteRollout("${name}"): event`);
    this.#rollouts.delete(name);
    this.#events.push({ ...row, seq: ++this.#lastSeq });
    return true;
  }

  listEvents(rollout: string, opts: { afterSeq?: number; limit?: number } = {}): StoredEvent[] {
    this.#open();
    checkSeq(opts.afterSeq, 'listEvents: afterSeq');
    checkCount(opts.limit, 'listEvents: limit');
    const out: StoredEvent[] = [];
    const limit = opts.limit ?? Infinity;
    for (let i = this.#firstAfter(opts.afterSeq ?? 0); i < this.#events.length && out.length < limit; i++) {
      if (this.#events[i].rollout === rollout) out.push(decodeEvent(this.#events[i]));
    }
    return out;
  }

  eventsSince(afterSeq: number, limit?: number): StoredEvent[] {
    this.#open();
    checkSeq(afterSeq, 'eventsSince: afterSeq');
    checkCount(limit, 'eventsSince: limit');
    const start = this.#firstAfter(afterSeq);
    return this.#events.slice(start, limit === undefined ? undefined : start + limit).map(decodeEvent);
  }

  close(): void {
    this.#closed = true;
  }

  /** Index of the first event with seq > afterSeq (binary search; events are sorted by seq). */
  #firstAfter(afterSeq: number): number {
    let lo = 0;
    let hi = this.#events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#events[mid].seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #open(): void {
    if (this.#closed) throw new StoreError('SLUICE_STORE_CLOSED', 'The memory store is closed; create a new one.');
  }
}
