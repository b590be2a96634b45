import { createHash } from 'node:crypto';
import { formatSpecError } from '../spec/spec-error.js';
import { validateFlagSet } from '../spec/flagset-parse.js';
import type { FlagDefinition, FlagSet } from '../spec/flagset-types.js';
import type { ClientKeyRecord, FlagEventDraft, FlagLastChange, FlagSetRecord, FlagStore, StoredFlagEvent } from '../store/flag-store.js';
import { hashClientKey, newClientKey, streamToken, streamTokenId, verifyStreamToken } from './client-keys.js';
import { describeFlagChange } from './describe-change.js';
import { FlagError } from './errors.js';
import { compileFlagSets, type CompiledFlags } from './evaluator.js';
import { applyPatch, type FlagPatch } from './patch.js';
import { checkDelete, checkPatch, keepRolloutSplits, type FlagLock, type FlagLocks } from './rollout-lock.js';
import { suggestName } from '../spec/suggest.js';

/** The flags of one environment at one revision, compiled and ready to serve. */
export interface EnvironmentSnapshot {
  readonly environment: string;
  /** Increases with every change to the environment's flag sets (0: none yet). */
  readonly revision: number;
  /** A strong HTTP entity tag of the definitions, quoted. */
  readonly etag: string;
  readonly flagSets: readonly FlagSet[];
  readonly compiled: CompiledFlags;
}

/** Told to subscribers after every committed change to an environment's flags. */
export interface FlagChange {
  environment: string;
  revision: number;
  etag: string;
  /** Keys of the flags that changed. */
  flags: string[];
  actor: string;
  time: number;
}

export interface FlagView {
  environment: string;
  key: string;
  flagSet: string;
  definition: FlagDefinition;
  /** Version of the flag set holding the flag. */
  version: number;
  /** When this flag last changed (its latest event; the set's last change when it has none). */
  updatedAt: number;
  /** Who changed this flag last. */
  updatedBy: string;
  /** The live guarded rollout that sets this flag's share, if any. */
  drivenBy?: FlagLock;
}

export interface ApplyResult {
  environment: string;
  name: string;
  outcome: 'created' | 'updated' | 'unchanged';
  changes: Array<{ flag: string; change: 'created' | 'updated' | 'deleted'; message: string }>;
  /** What was not applied as written, and why (a flag's split kept for its guarded rollout); absent when none. */
  warnings?: string[];
}

/** A client key as shown to operators: never the secret, never its hash. */
export type ClientKeyView = Omit<ClientKeyRecord, 'hash'>;

export interface FlagServiceOptions {
  store: FlagStore;
  now?: () => number;
  /** The flags live guarded rollouts drive (see `lockWith`). */
  locks?: FlagLocks;
}

const MAX_CACHED_KEYS = 10_000;

/**
 * Flag management over a FlagStore: applying FlagSets, changing one flag,
 * history, client keys, and compiled per-environment snapshots with change
 * notifications for streaming. Every write is an event with its actor.
 */
export class FlagService {
  readonly #store: FlagStore;
  readonly #now: () => number;
  readonly #snapshots = new Map<string, EnvironmentSnapshot>();
  /** Per environment, who changed each flag last; read from the store once, dropped after a change. */
  readonly #lastChanges = new Map<string, Map<string, FlagLastChange>>();
  readonly #listeners = new Set<(change: FlagChange) => void>();
  readonly #keysByHash = new Map<string, ClientKeyRecord>();
  #locks: FlagLocks;

  constructor(opts: FlagServiceOptions) {
    this.#store = opts.store;
    this.#now = opts.now ?? Date.now;
    this.#locks = opts.locks ?? (() => []);
  }

  /** Tells the service which flags live guarded rollouts drive: their split is then theirs alone. */
  lockWith(locks: FlagLocks): void {
    this.#locks = locks;
  }

  #lockOf(environment: string, key: string, locks = this.#locks()): FlagLock | undefined {
    return locks.find((l) => l.environment === environment && l.key === key);
  }

  /**
   * Applies FlagSets: each replaces the set of that name in its environment
   * (flags left out are deleted). Everything is checked before anything is
   * written: a flag key must not belong to another set of the environment.
   */
  apply(flagSets: readonly FlagSet[], actor: string): ApplyResult[] {
    for (const environment of new Set(flagSets.map((s) => s.metadata.environment))) {
      const batch = flagSets.filter((s) => s.metadata.environment === environment);
      const replaced = new Set(batch.map((s) => s.metadata.name));
      const owners = new Map<string, { name: string; applied: boolean }>();
      for (const r of this.#store.listFlagSets(environment)) {
        if (!replaced.has(r.name)) for (const key of Object.keys(r.flagSet.spec.flags)) owners.set(key, { name: r.name, applied: false });
      }
      for (const set of batch) {
        const name = set.metadata.name;
        for (const key of Object.keys(set.spec.flags)) {
          const other = owners.get(key);
          if (other && other.name !== name) {
            throw new FlagError('SLUICE_FLAG_KEY_TAKEN', other.applied
              ? `flag "${key}" is defined by both flag set "${other.name}" and "${name}" for environment "${environment}"; a key belongs to one set`
              : `flag "${key}" already belongs to flag set "${other.name}" in environment "${environment}"; remove it there first, or rename it`);
          }
          owners.set(key, { name, applied: true });
        }
      }
    }
    const locks = this.#locks();
    const kept = flagSets.map((set) => keepRolloutSplits(set, this.#store.getFlagSet(set.metadata.environment, set.metadata.name)?.flagSet.spec.flags ?? {}, locks, actor));
    return kept.map(({ set, warnings }) => {
      const result = this.#applyOne(set, actor);
      return warnings.length ? { ...result, warnings } : result;
    });
  }

  #applyOne(set: FlagSet, actor: string): ApplyResult {
    const { environment, name } = set.metadata;
    const existing = this.#store.getFlagSet(environment, name);
    const before = existing?.flagSet.spec.flags ?? {};
    const after = set.spec.flags;
    const changes: ApplyResult['changes'] = [];
    const events: FlagEventDraft[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const b = Object.hasOwn(before, key) ? before[key] : undefined;
      const a = Object.hasOwn(after, key) ? after[key] : undefined;
      if (JSON.stringify(b) === JSON.stringify(a)) continue;
      const change = b === undefined ? 'created' : a === undefined ? 'deleted' : 'updated';
      const message = describeFlagChange(key, b, a);
      changes.push({ flag: key, change, message });
      events.push({ type: `flag-${change}`, flag: key, message, actor, data: { flagSet: name, ...(b ? { before: b } : {}), ...(a ? { after: a } : {}) } });
    }
    const sameDocument = existing !== undefined && JSON.stringify(existing.flagSet) === JSON.stringify(set);
    if (sameDocument) return { environment, name, outcome: 'unchanged', changes };
    this.#store.saveFlagSet(set, events.length ? events : [{ type: 'flag-updated', message: `flag set "${name}" updated (segments or labels)`, actor }], existing?.version ?? 0, this.#now());
    this.#changed(environment, changes.map((c) => c.flag), actor);
    return { environment, name, outcome: existing ? 'updated' : 'created', changes };
  }

  deleteFlagSet(environment: string, name: string, actor: string): StoredFlagEvent[] {
    const existing = this.#store.getFlagSet(environment, name);
    if (!existing) throw new FlagError('SLUICE_FLAGSET_NOT_FOUND', `no flag set "${name}" in environment "${environment}"`);
    const keys = Object.keys(existing.flagSet.spec.flags);
    const locks = this.#locks();
    for (const key of keys) checkDelete(this.#lockOf(environment, key, locks), actor);
    const events: FlagEventDraft[] = [
      ...keys.map((key): FlagEventDraft => ({ type: 'flag-deleted', flag: key, message: describeFlagChange(key, existing.flagSet.spec.flags[key], undefined), actor, data: { flagSet: name } })),
      { type: 'flagset-deleted', message: `flag set "${name}" deleted`, actor },
    ];
    const stored = this.#store.deleteFlagSet(environment, name, events, this.#now()) ?? [];
    this.#changed(environment, keys, actor);
    return stored;
  }

  flagSets(environment?: string): FlagSetRecord[] {
    return this.#store.listFlagSets(environment);
  }

  flagSet(environment: string, name: string): FlagSetRecord {
    const r = this.#store.getFlagSet(environment, name);
    if (!r) throw new FlagError('SLUICE_FLAGSET_NOT_FOUND', `no flag set "${name}" in environment "${environment}"; \`sluice flags get\` lists the flags`);
    return r;
  }

  environments(): string[] {
    return [...new Set(this.#store.listFlagSets().map((r) => r.environment))];
  }

  /** Flags, optionally of one environment and/or one key, sorted by environment then key. */
  flags(filter: { environment?: string; key?: string } = {}): FlagView[] {
    const out: FlagView[] = [];
    const locks = this.#locks();
    for (const r of this.#store.listFlagSets(filter.environment)) {
      for (const [key, definition] of Object.entries(r.flagSet.spec.flags)) {
        if (filter.key === undefined || filter.key === key) out.push(view(r, key, definition, this.#lockOf(r.environment, key, locks), this.#lastChange(r.environment, key)));
      }
    }
    return out.sort((a, b) => (a.environment === b.environment ? (a.key < b.key ? -1 : 1) : a.environment < b.environment ? -1 : 1));
  }

  flag(environment: string, key: string): FlagView {
    const [found] = this.flags({ environment, key });
    if (found) return found;
    const environments = [...new Set(this.flags({}).map((f) => f.environment))];
    if (!environments.includes(environment)) {
      const near = suggestName(environment, environments);
      const known = environments.length ? `; environments with flags: ${environments.join(', ')}` : '; no FlagSet has been applied yet';
      throw new FlagError('SLUICE_FLAG_NOT_FOUND', `no environment "${environment}"${near ? ` (did you mean "${near}"?)` : ''}${known}`);
    }
    const near = suggestName(key, this.flags({ environment }).map((f) => f.key));
    throw new FlagError(
      'SLUICE_FLAG_NOT_FOUND',
      `no flag "${key}" in environment "${environment}"${near ? ` (did you mean "${near}"?)` : ''}; \`sluice flags get --environment ${environment}\` lists them`,
    );
  }

  /**
   * Changes one flag (on/off, what everyone else is served, a split percentage); no-op changes write nothing.
   * A flag a live guarded rollout drives may only be switched on or off by anyone but the rollout (SLUICE_FLAG_UNDER_ROLLOUT).
   */
  setFlag(environment: string, key: string, patch: FlagPatch, actor: string): { flag: FlagView; changed: boolean; event?: StoredFlagEvent } {
    const current = this.flag(environment, key);
    checkPatch(current.drivenBy, patch, actor);
    const record = this.flagSet(environment, current.flagSet);
    const next = applyPatch(key, current.definition, patch);
    if (JSON.stringify(next) === JSON.stringify(current.definition)) return { flag: current, changed: false };
    const doc: FlagSet = { ...record.flagSet, spec: { ...record.flagSet.spec, flags: { ...record.flagSet.spec.flags, [key]: next } } };
    const { flagSet, errors } = validateFlagSet(doc, `flag "${key}"`);
    if (!flagSet) throw new FlagError('SLUICE_FLAG_INVALID_CHANGE', `the change would make flag "${key}" invalid: ${errors.map(formatSpecError).join('; ')}`);
    const message = describeFlagChange(key, current.definition, next);
    const saved = this.#store.saveFlagSet(flagSet, [{ type: 'flag-updated', flag: key, message, actor, data: { flagSet: record.name, patch, before: current.definition, after: next } }], record.version, this.#now());
    this.#changed(environment, [key], actor);
    return { flag: view(saved.record, key, next, this.#lockOf(environment, key), saved.events[0]), changed: true, event: saved.events[0] };
  }

  history(environment: string, key: string, opts: { afterSeq?: number; limit?: number } = {}): StoredFlagEvent[] {
    return this.#store.flagEvents({ environment, flag: key, ...opts });
  }

  events(opts: { environment?: string; afterSeq?: number; limit?: number } = {}): StoredFlagEvent[] {
    return this.#store.flagEvents(opts);
  }

  /** The environment's flags, compiled; rebuilt only after a change. */
  snapshot(environment: string): EnvironmentSnapshot {
    const cached = this.#snapshots.get(environment);
    if (cached) return cached;
    const revision = this.#store.flagRevision(environment);
    const flagSets = this.#store.listFlagSets(environment).map((r) => r.flagSet);
    const digest = createHash('sha256').update(JSON.stringify(flagSets)).digest('base64url').slice(0, 16);
    const snapshot: EnvironmentSnapshot = Object.freeze({ environment, revision, etag: `"${revision}-${digest}"`, flagSets, compiled: compileFlagSets(flagSets) });
    this.#snapshots.set(environment, snapshot);
    return snapshot;
  }

  /** Calls `listener` after every committed change; returns the unsubscribe function. */
  subscribe(listener: (change: FlagChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  createClientKey(environment: string, name: string, actor: string): { key: ClientKeyView; secret: string } {
    const made = newClientKey();
    const record: ClientKeyRecord = { id: made.id, environment, name, hash: made.hash, hint: made.hint, createdAt: this.#now(), createdBy: actor };
    this.#store.saveClientKey(record, { type: 'client-key-created', message: `client key ${made.id} ("${name}") created for environment "${environment}"`, actor, data: { id: made.id, name } }, record.createdAt);
    return { key: keyView(record), secret: made.secret };
  }

  clientKeys(environment?: string): ClientKeyView[] {
    return this.#store.listClientKeys(environment).map(keyView);
  }

  revokeClientKey(id: string, actor: string): ClientKeyView {
    const key = this.#store.getClientKey(id);
    if (!key) throw new FlagError('SLUICE_CLIENT_KEY_NOT_FOUND', `no client key "${id}"; \`sluice flags keys list\` shows them`);
    this.#store.revokeClientKey(id, { type: 'client-key-revoked', message: `client key ${id} ("${key.name}") revoked`, actor, data: { id } }, this.#now());
    this.#keysByHash.delete(key.hash);
    return keyView(this.#store.getClientKey(id)!);
  }

  /** The active key a secret belongs to, if any. */
  authenticate(secret: string): ClientKeyRecord | undefined {
    const hash = hashClientKey(secret);
    let key = this.#keysByHash.get(hash);
    if (!key) {
      key = this.#store.clientKeyByHash(hash);
      if (!key || key.revokedAt !== undefined) return undefined;
      if (this.#keysByHash.size >= MAX_CACHED_KEYS) this.#keysByHash.clear();
      this.#keysByHash.set(hash, key);
    }
    return key;
  }

  streamToken(key: ClientKeyRecord): string {
    return streamToken(key.id, key.hash);
  }

  /** The active key a stream token was issued for, if the token is genuine. */
  authenticateStreamToken(token: string): ClientKeyRecord | undefined {
    const id = streamTokenId(token);
    const key = id === undefined ? undefined : this.#store.getClientKey(id);
    if (!key || key.revokedAt !== undefined || !verifyStreamToken(token, key.id, key.hash)) return undefined;
    return key;
  }

  #lastChange(environment: string, key: string): FlagLastChange | undefined {
    let changes = this.#lastChanges.get(environment);
    if (!changes) {
      changes = new Map(this.#store.lastFlagChanges(environment).map((c) => [c.flag, c]));
      this.#lastChanges.set(environment, changes);
    }
    return changes.get(key);
  }

  #changed(environment: string, flags: string[], actor: string): void {
    this.#snapshots.delete(environment);
    this.#lastChanges.delete(environment);
    const snap = this.snapshot(environment);
    const change: FlagChange = { environment, revision: snap.revision, etag: snap.etag, flags, actor, time: this.#now() };
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch {
        // A failing subscriber must not undo or hide a committed change.
      }
    }
  }
}

function view(r: FlagSetRecord, key: string, definition: FlagDefinition, drivenBy?: FlagLock, last?: { time: number; actor: string }): FlagView {
  const updatedAt = last?.time ?? r.updatedAt;
  const updatedBy = last?.actor ?? r.updatedBy;
  return { environment: r.environment, key, flagSet: r.name, definition, version: r.version, updatedAt, updatedBy, ...(drivenBy ? { drivenBy } : {}) };
}

function keyView(k: ClientKeyRecord): ClientKeyView {
  const { hash: _hash, ...rest } = k;
  return rest;
}
