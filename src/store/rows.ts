/**
 * The stored shape of rollouts and events (one row each, JSON in text columns)
 * and the conversions to and from the Store API. Both implementations go
 * through these functions, so the in-memory fake copies, validates and
 * round-trips values exactly as SQLite does.
 */
import type { EventDraft, EventType } from '../engine/types.js';
import { StoreConflictError, StoreError } from './errors.js';
import type { RolloutRecord, StoredEvent } from './store.js';

export interface RolloutRow {
  name: string;
  document: string;
  state: string;
  confirmed_routes: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface EventRow {
  seq: number;
  rollout: string;
  revision: number;
  time: number;
  type: string;
  message: string;
  actor: string | null;
  data: string | null;
}

/** A validated, serialised save request, ready to be written by either store. */
export interface PreparedSave {
  name: string;
  document: string;
  state: string;
  confirmedRoutes: string | null;
  events: Omit<EventRow, 'seq'>[];
}

export type SaveInput = Omit<RolloutRecord, 'version' | 'createdAt' | 'updatedAt'>;

function invalid(message: string, cause?: unknown): StoreError {
  return new StoreError('SLUICE_STORE_INVALID_ARGUMENT', message, { cause });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function encodeJson(value: unknown, where: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw invalid(`${where} is not JSON-serialisable (${(err as Error).message}); store plain data only.`, err);
  }
  if (text === undefined) throw invalid(`${where} is missing; pass a JSON value.`);
  return text;
}

function decodeJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StoreError('SLUICE_STORE_CORRUPT_ROW', `${where} holds invalid JSON; the database was modified outside Sluice.`, {
      cause: err,
    });
  }
}

/** Rejects what a caller got wrong, with a message naming the argument. */
export function checkCount(value: number | undefined, what: string): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
    throw invalid(`${what} must be a non-negative integer, got ${String(value)}.`);
  }
}

export function checkSeq(value: number | undefined, what: string): void {
  if (value !== undefined && !Number.isFinite(value)) {
    throw invalid(`${what} must be a finite number, got ${String(value)}.`);
  }
}

export function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name === '') throw invalid(`${what} must be a non-empty string, got ${JSON.stringify(name)}.`);
}

export function checkNow(now: number, what: string): void {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw invalid(`${what}: now must be a finite number of ms, got ${String(now)}.`);
}

export function encodeEvent(draft: EventDraft, rollout: string, revision: number, time: number, where: string): Omit<EventRow, 'seq'> {
  if (!isPlainObject(draft)) throw invalid(`${where} must be an object with type and message.`);
  if (typeof draft.type !== 'string' || (draft.type as string) === '') throw invalid(`${where}.type must be a non-empty string.`);
  if (typeof draft.message !== 'string') throw invalid(`${where}.message must be a string.`);
  if (draft.actor !== undefined && typeof draft.actor !== 'string') throw invalid(`${where}.actor must be a string when set.`);
  if (draft.data !== undefined && !isPlainObject(draft.data)) throw invalid(`${where}.data must be an object when set.`);
  return {
    rollout,
    revision,
    time,
    type: draft.type,
    message: draft.message,
    actor: draft.actor ?? null,
    data: draft.data === undefined ? null : encodeJson(draft.data, `${where}.data`),
  };
}

/** Validates and serialises the arguments of saveRollout; throws StoreError on bad input. */
export function prepareSave(record: SaveInput, events: EventDraft[], expectedVersion: number, now: number): PreparedSave {
  if (!isPlainObject(record)) throw invalid('saveRollout: record must be an object.');
  checkName(record.name, 'saveRollout: record.name');
  const where = `saveRollout("${record.name}")`;
  checkCount(expectedVersion, `${where}: expectedVersion`);
  checkNow(now, where);
  if (!isPlainObject(record.state)) throw invalid(`${where}: record.state must be an object.`);
  const revision = record.state.revision;
  if (!Number.isSafeInteger(revision)) throw invalid(`${where}: record.state.revision must be an integer, got ${String(revision)}.`);
  if (!Array.isArray(events)) throw invalid(`${where}: events must be an array (empty for none).`);
  return {
    name: record.name,
    document: encodeJson(record.rollout, `${where}: record.rollout`),
    state: encodeJson(record.state, `${where}: record.state`),
    confirmedRoutes: record.confirmedRoutes === undefined ? null : encodeJson(record.confirmedRoutes, `${where}: record.confirmedRoutes`),
    events: events.map((e, i) => encodeEvent(e, record.name, revision, now, `${where}: events[${i}]`)),
  };
}

/** Throws StoreConflictError unless the stored version (undefined: no row) is the expected one. */
export function checkVersion(name: string, expectedVersion: number, storedVersion: number | undefined): void {
  const actual = storedVersion ?? 0;
  if (actual !== expectedVersion) throw new StoreConflictError(name, expectedVersion, actual);
}

export function decodeRecord(row: RolloutRow): RolloutRecord {
  const where = `Rollout "${row.name}"`;
  const record: RolloutRecord = {
    name: row.name,
    rollout: decodeJson(row.document, `${where} document`) as RolloutRecord['rollout'],
    state: decodeJson(row.state, `${where} state`) as RolloutRecord['state'],
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.confirmed_routes !== null) {
    record.confirmedRoutes = decodeJson(row.confirmed_routes, `${where} confirmed_routes`) as RolloutRecord['confirmedRoutes'];
  }
  return record;
}

export function decodeEvent(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    seq: row.seq,
    rollout: row.rollout,
    revision: row.revision,
    time: row.time,
    type: row.type as EventType,
    message: row.message,
  };
  if (row.actor !== null) event.actor = row.actor;
  if (row.data !== null) event.data = decodeJson(row.data, `Event ${row.seq} data`) as Record<string, unknown>;
  return event;
}
