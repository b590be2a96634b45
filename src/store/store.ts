import type { RolloutState, EventDraft } from '../engine/types.js';
import type { Rollout } from '../spec/types.js';

/** A rollout as stored: the applied document and the engine's state for its current revision. */
export interface RolloutRecord {
  name: string;
  /** The applied document, as normalised by spec/. */
  rollout: Rollout;
  state: RolloutState;
  /** Routes the data plane last confirmed (read back with getRoutes); undefined until confirmed once. */
  confirmedRoutes?: RolloutState['routes'];
  /** Optimistic concurrency: bumped by every save. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface StoredEvent extends EventDraft {
  /** Global, strictly increasing. */
  seq: number;
  rollout: string;
  revision: number;
  time: number;
}

export interface Store {
  readonly type: string;
  getRollout(name: string): RolloutRecord | undefined;
  listRollouts(): RolloutRecord[];
  /**
   * Write a rollout's new state and the events that explain it in one transaction.
   * `expectedVersion` is the version read before the change (0 for a new rollout);
   * a mismatch throws StoreConflictError and writes nothing.
   * Returns the saved record (version bumped) and the stored events.
   */
  saveRollout(
    record: Omit<RolloutRecord, 'version' | 'createdAt' | 'updatedAt'>,
    events: EventDraft[],
    expectedVersion: number,
    now: number,
  ): { record: RolloutRecord; events: StoredEvent[] };
  deleteRollout(name: string, event: EventDraft, now: number): boolean;
  /** Events of one rollout (all revisions), oldest first, after `afterSeq`. */
  listEvents(rollout: string, opts?: { afterSeq?: number; limit?: number }): StoredEvent[];
  /** Events of all rollouts after `afterSeq`, oldest first (for streaming). */
  eventsSince(afterSeq: number, limit?: number): StoredEvent[];
  close(): void;
}
