import type { FlagSet } from '../spec/flagset-types.js';
import { StoreError } from './errors.js';

/** A FlagSet as stored: the applied (normalised) document of one environment. */
export interface FlagSetRecord {
  environment: string;
  name: string;
  flagSet: FlagSet;
  /** Optimistic concurrency: bumped by every save. */
  version: number;
  createdAt: number;
  updatedAt: number;
  /** Who made the last change. */
  updatedBy: string;
}

export type FlagEventType =
  | 'flag-created'
  | 'flag-updated'
  | 'flag-deleted'
  | 'flagset-deleted'
  | 'client-key-created'
  | 'client-key-revoked';

/** A change to flags or keys, before it is stored. Every change has an actor. */
export interface FlagEventDraft {
  type: FlagEventType;
  /** The flag concerned, when there is one. */
  flag?: string;
  message: string;
  actor: string;
  data?: Record<string, unknown>;
}

export interface StoredFlagEvent extends FlagEventDraft {
  /** Strictly increasing across all flag events. */
  seq: number;
  environment: string;
  /** The flag set concerned; absent for client-key events. */
  flagSet?: string;
  time: number;
}

/** The latest stored event naming one flag. */
export interface FlagLastChange {
  environment: string;
  flag: string;
  seq: number;
  time: number;
  actor: string;
}

/** A client (SDK) key: read-only, for one environment. Only a hash of the secret is kept. */
export interface ClientKeyRecord {
  id: string;
  environment: string;
  name: string;
  /** SHA-256 of the secret, hex. */
  hash: string;
  /** The first characters of the secret, so people can tell keys apart. */
  hint: string;
  createdAt: number;
  createdBy: string;
  revokedAt?: number;
}

/**
 * Where flag definitions, their history and client keys live. Writes and the
 * events that explain them are stored in one transaction. Implementations:
 * in memory (tests) and SQLite (the server's database file).
 */
export interface FlagStore {
  readonly type: string;
  getFlagSet(environment: string, name: string): FlagSetRecord | undefined;
  /** Sorted by environment, then name. */
  listFlagSets(environment?: string): FlagSetRecord[];
  /**
   * Writes a flag set and its events. `expectedVersion` is the version read
   * before the change (0 for a new set); a mismatch throws a StoreError with
   * code SLUICE_STORE_CONFLICT and writes nothing.
   */
  saveFlagSet(flagSet: FlagSet, events: FlagEventDraft[], expectedVersion: number, now: number): { record: FlagSetRecord; events: StoredFlagEvent[] };
  /** Deletes a set and records its events; undefined when there was no such set. */
  deleteFlagSet(environment: string, name: string, events: FlagEventDraft[], now: number): StoredFlagEvent[] | undefined;
  /** Events oldest first, filtered by environment and flag, after `afterSeq`. */
  flagEvents(opts?: { environment?: string; flag?: string; afterSeq?: number; limit?: number }): StoredFlagEvent[];
  /** Each flag's latest event (who changed it last, and when), for the flags of `environment` or of all environments. */
  lastFlagChanges(environment?: string): FlagLastChange[];
  /** The seq of the latest change to an environment's flag sets (0 if none): its revision. */
  flagRevision(environment: string): number;
  saveClientKey(key: ClientKeyRecord, event: FlagEventDraft, now: number): StoredFlagEvent;
  clientKeyByHash(hash: string): ClientKeyRecord | undefined;
  getClientKey(id: string): ClientKeyRecord | undefined;
  /** Sorted by creation time. */
  listClientKeys(environment?: string): ClientKeyRecord[];
  /** Marks a key revoked; false when it does not exist or was already revoked. */
  revokeClientKey(id: string, event: FlagEventDraft, now: number): boolean;
  close(): void;
}

export function flagSetConflict(environment: string, name: string, expected: number, actual: number): StoreError {
  const found = actual === 0 ? 'it does not exist' : `it is at version ${actual}`;
  return new StoreError(
    'SLUICE_STORE_CONFLICT',
    `Flag set "${name}" (environment "${environment}") changed concurrently: expected version ${expected} but ${found}. Nothing was written; read it again and retry.`,
  );
}

export function checkFlagEvent(e: FlagEventDraft, where: string): void {
  if (typeof e?.type !== 'string' || typeof e.message !== 'string' || typeof e.actor !== 'string' || e.actor === '') {
    throw new StoreError('SLUICE_STORE_INVALID_ARGUMENT', `${where}: an event needs a type, a message and an actor`);
  }
}
