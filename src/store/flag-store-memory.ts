import type { FlagSet } from '../spec/flagset-types.js';
import { StoreError } from './errors.js';
import {
  checkFlagEvent,
  flagSetConflict,
  type ClientKeyRecord,
  type FlagEventDraft,
  type FlagLastChange,
  type FlagSetRecord,
  type FlagStore,
  type StoredFlagEvent,
} from './flag-store.js';

export const MEMORY_FLAG_STORE_TYPE = 'memory';

const copy = <T>(v: T): T => structuredClone(v);

/** A FlagStore in memory: the test fake, and the store of a server run with `store.type: memory`. */
export class MemoryFlagStore implements FlagStore {
  readonly type = MEMORY_FLAG_STORE_TYPE;
  readonly #sets = new Map<string, FlagSetRecord>();
  readonly #events: StoredFlagEvent[] = [];
  readonly #keys = new Map<string, ClientKeyRecord>();
  #seq = 0;
  #closed = false;

  getFlagSet(environment: string, name: string): FlagSetRecord | undefined {
    this.#open();
    const r = this.#sets.get(id(environment, name));
    return r && copy(r);
  }

  listFlagSets(environment?: string): FlagSetRecord[] {
    this.#open();
    return [...this.#sets.values()]
      .filter((r) => environment === undefined || r.environment === environment)
      .sort((a, b) => (a.environment === b.environment ? cmp(a.name, b.name) : cmp(a.environment, b.environment)))
      .map(copy);
  }

  saveFlagSet(flagSet: FlagSet, events: FlagEventDraft[], expectedVersion: number, now: number): { record: FlagSetRecord; events: StoredFlagEvent[] } {
    this.#open();
    const { environment, name } = flagSet.metadata;
    events.forEach((e) => checkFlagEvent(e, `saveFlagSet("${environment}/${name}")`));
    const existing = this.#sets.get(id(environment, name));
    const actual = existing?.version ?? 0;
    if (actual !== expectedVersion) throw flagSetConflict(environment, name, expectedVersion, actual);
    const record: FlagSetRecord = {
      environment,
      name,
      flagSet: copy(flagSet),
      version: actual + 1,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      updatedBy: events[events.length - 1]?.actor ?? existing?.updatedBy ?? 'unknown',
    };
    this.#sets.set(id(environment, name), record);
    return { record: copy(record), events: events.map((e) => this.#append(e, environment, name, now)) };
  }

  deleteFlagSet(environment: string, name: string, events: FlagEventDraft[], now: number): StoredFlagEvent[] | undefined {
    this.#open();
    events.forEach((e) => checkFlagEvent(e, `deleteFlagSet("${environment}/${name}")`));
    if (!this.#sets.delete(id(environment, name))) return undefined;
    return events.map((e) => this.#append(e, environment, name, now));
  }

  flagEvents(opts: { environment?: string; flag?: string; afterSeq?: number; limit?: number } = {}): StoredFlagEvent[] {
    this.#open();
    const after = opts.afterSeq ?? 0;
    const out = this.#events.filter((e) => e.seq > after && (opts.environment === undefined || e.environment === opts.environment) && (opts.flag === undefined || e.flag === opts.flag));
    return (opts.limit === undefined ? out : out.slice(0, opts.limit)).map(copy);
  }

  lastFlagChanges(environment?: string): FlagLastChange[] {
    this.#open();
    const last = new Map<string, StoredFlagEvent>();
    for (const e of this.#events) {
      if (e.flag !== undefined && e.flagSet !== undefined && (environment === undefined || e.environment === environment)) last.set(`${e.environment}\0${e.flag}`, e);
    }
    return [...last.values()]
      .map((e) => ({ environment: e.environment, flag: e.flag!, seq: e.seq, time: e.time, actor: e.actor }))
      .sort((a, b) => (a.environment === b.environment ? (a.flag < b.flag ? -1 : 1) : a.environment < b.environment ? -1 : 1));
  }

  flagRevision(environment: string): number {
    this.#open();
    for (let i = this.#events.length - 1; i >= 0; i--) {
      const e = this.#events[i];
      if (e.environment === environment && e.flagSet !== undefined) return e.seq;
    }
    return 0;
  }

  saveClientKey(key: ClientKeyRecord, event: FlagEventDraft, now: number): StoredFlagEvent {
    this.#open();
    checkFlagEvent(event, 'saveClientKey');
    if (this.#keys.has(key.id) || [...this.#keys.values()].some((k) => k.hash === key.hash)) {
      throw new StoreError('SLUICE_STORE_CONFLICT', `client key ${key.id} already exists`);
    }
    this.#keys.set(key.id, copy(key));
    return this.#append(event, key.environment, undefined, now);
  }

  clientKeyByHash(hash: string): ClientKeyRecord | undefined {
    this.#open();
    for (const k of this.#keys.values()) if (k.hash === hash) return copy(k);
    return undefined;
  }

  getClientKey(keyId: string): ClientKeyRecord | undefined {
    this.#open();
    const k = this.#keys.get(keyId);
    return k && copy(k);
  }

  listClientKeys(environment?: string): ClientKeyRecord[] {
    this.#open();
    return [...this.#keys.values()]
      .filter((k) => environment === undefined || k.environment === environment)
      .sort((a, b) => a.createdAt - b.createdAt || cmp(a.id, b.id))
      .map(copy);
  }

  revokeClientKey(keyId: string, event: FlagEventDraft, now: number): boolean {
    this.#open();
    checkFlagEvent(event, 'revokeClientKey');
    const k = this.#keys.get(keyId);
    if (!k || k.revokedAt !== undefined) return false;
    k.revokedAt = now;
    this.#append(event, k.environment, undefined, now);
    return true;
  }

  close(): void {
    this.#closed = true;
  }

  #append(e: FlagEventDraft, environment: string, flagSet: string | undefined, now: number): StoredFlagEvent {
    const stored: StoredFlagEvent = { seq: ++this.#seq, environment, ...(flagSet !== undefined ? { flagSet } : {}), time: now, ...copy(e) };
    this.#events.push(stored);
    return copy(stored);
  }

  #open(): void {
    if (this.#closed) throw new StoreError('SLUICE_STORE_CLOSED', 'The in-memory flag store is closed.');
  }
}

const id = (environment: string, name: string) => `${environment}\u0000${name}`;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
