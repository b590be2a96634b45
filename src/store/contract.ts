/**
 * The behaviour every Store must have, as one vitest suite. Each
 * implementation's test file calls runStoreContract with a factory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventDraft, RolloutState } from '../engine/types.js';
import { API_VERSION, type Rollout } from '../spec/types.js';
import { StoreConflictError, StoreError } from './errors.js';
import type { RolloutRecord, Store } from './store.js';

type SaveInput = Omit<RolloutRecord, 'version' | 'createdAt' | 'updatedAt'>;

function rollout(name: string): Rollout {
  return {
    apiVersion: API_VERSION,
    kind: 'Rollout',
    metadata: { name, labels: { team: 'payments', 'sluice.dev/ünïcode': '✓ 雪' } },
    spec: {
      service: { listen: '127.0.0.1:8080', stable: { upstreams: ['http://a:1'] }, canary: { upstreams: ['http://b:1', 'http://c:1'] } },
      steps: [{ setWeight: 5 }, { pause: {} }, { analysis: { checks: 3 } }, { setWeight: 50 }, { pause: { duration: 60_000 } }],
      analysis: { interval: 30_000, failureLimit: 1, inconclusiveLimit: 3, minRequests: 100, metrics: [{ name: 'success-rate', min: 99.5 }] },
      onFailure: 'rollback',
      onInconclusive: 'pause',
    },
  };
}

function input(name: string, revision = 1, canaryWeight = 5): SaveInput {
  const doc = rollout(name);
  const routes = { listen: doc.spec.service.listen, stable: ['http://a:1'], canary: ['http://b:1', 'http://c:1'], canaryWeight };
  const state: RolloutState = {
    name,
    revision,
    spec: doc.spec,
    phase: 'progressing',
    stepIndex: 0,
    stepStartedAt: 1_000,
    canaryWeight,
    routes,
    analysis: { failures: 0, inconclusiveInARow: 0, passesThisStep: 0, checks: 0, windowStart: 1_000, nextCheckAt: 31_000, pending: false },
    startedAt: 1_000,
    message: `weight ${canaryWeight}%`,
  };
  return { name, rollout: doc, state };
}

const ev = (message: string, data?: Record<string, unknown>): EventDraft => ({ type: 'weight-changed', message, actor: 'controller', data });

function expectCode(fn: () => unknown, code: string): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe(code);
    return err as StoreError;
  }
  throw new Error(`expected a StoreError with code ${code}, nothing was thrown`);
}

export function runStoreContract(name: string, newStore: () => Store | Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await newStore();
    });
    afterEach(() => store.close());

    it('creates a rollout with expectedVersion 0 and returns the stored record and events', () => {
      const saved = store.saveRollout(input('web'), [ev('started'), ev('weight 5%', { weight: 5 })], 0, 2_000);
      expect(saved.record).toMatchObject({ name: 'web', version: 1, createdAt: 2_000, updatedAt: 2_000 });
      expect(saved.record.confirmedRoutes).toBeUndefined();
      expect(saved.events.map((e) => [e.rollout, e.revision, e.time, e.message, e.actor])).toEqual([
        ['web', 1, 2_000, 'started', 'controller'],
        ['web', 1, 2_000, 'weight 5%', 'controller'],
      ]);
      expect(saved.events[1].seq).toBeGreaterThan(saved.events[0].seq);
      expect(store.getRollout('web')).toEqual(saved.record);
      expect(store.listRollouts()).toEqual([saved.record]);
      expect(store.listEvents('web')).toEqual(saved.events);
      expect(store.getRollout('nope')).toBeUndefined();
    });

    it('updates: bumps the version, keeps createdAt, stores the new state and confirmed routes', () => {
      const first = store.saveRollout(input('web'), [], 0, 2_000).record;
      const next = input('web', 2, 25);
      next.confirmedRoutes = first.state.routes;
      const second = store.saveRollout(next, [ev('weight 25%')], first.version, 3_000);
      expect(second.record).toMatchObject({ version: 2, createdAt: 2_000, updatedAt: 3_000 });
      expect(second.record.state.canaryWeight).toBe(25);
      expect(second.record.confirmedRoutes).toEqual(first.state.routes);
      expect(second.events[0].revision).toBe(2);
      expect(store.getRollout('web')).toEqual(second.record);
      // Confirmed routes can be cleared again.
      const third = store.saveRollout(input('web', 2, 25), [], 2, 4_000).record;
      expect(third.confirmedRoutes).toBeUndefined();
      expect(store.getRollout('web')).not.toHaveProperty('confirmedRoutes');
    });

    it('rejects a stale expectedVersion with StoreConflictError and writes nothing', () => {
      store.saveRollout(input('web'), [ev('a')], 0, 1);
      const current = store.saveRollout(input('web', 1, 10), [ev('b')], 1, 2).record;
      const before = store.eventsSince(0);
      const err = expectCode(() => store.saveRollout(input('web', 1, 50), [ev('stale 1'), ev('stale 2')], 1, 3), 'SLUICE_STORE_CONFLICT');
      expect(err).toBeInstanceOf(StoreConflictError);
      expect(err.message).toMatch(/changed concurrently/);
      expect(err.message).toMatch(/retry/);
      expect((err as StoreConflictError).actualVersion).toBe(2);
      expectCode(() => store.saveRollout(input('web', 1, 50), [ev('as new')], 0, 3), 'SLUICE_STORE_CONFLICT');
      expectCode(() => store.saveRollout(input('ghost'), [ev('ghost')], 3, 3), 'SLUICE_STORE_CONFLICT');
      expect(store.getRollout('web')).toEqual(current);
      expect(store.getRollout('ghost')).toBeUndefined();
      expect(store.eventsSince(0)).toEqual(before);
      // The failed attempts did not consume sequence numbers visibly out of order.
      const after = store.saveRollout(input('web', 1, 50), [ev('c')], 2, 4).events[0];
      expect(after.seq).toBeGreaterThan(before[before.length - 1].seq);
    });

    it('keeps events of all rollouts in save order with strictly increasing seq', () => {
      const versions = new Map<string, number>();
      const expected: string[] = [];
      for (let i = 0; i < 6; i++) {
        const name = i % 3 === 0 ? 'b' : 'a';
        const v = versions.get(name) ?? 0;
        const messages = [`${name}-${i}-1`, `${name}-${i}-2`];
        versions.set(name, store.saveRollout(input(name, v + 1), messages.map((m) => ev(m)), v, 100 + i).record.version);
        expected.push(...messages);
      }
      const all = store.eventsSince(0);
      expect(all.map((e) => e.message)).toEqual(expected);
      for (let i = 1; i < all.length; i++) expect(all[i].seq).toBeGreaterThan(all[i - 1].seq);
      expect(store.listEvents('a').map((e) => e.message)).toEqual(expected.filter((m) => m.startsWith('a')));
      expect(store.listEvents('a').map((e) => e.revision)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
      expect(store.listRollouts().map((r) => r.name)).toEqual(['a', 'b']);
    });

    it('pages events with afterSeq and limit', () => {
      store.saveRollout(input('a'), [ev('a1'), ev('a2'), ev('a3')], 0, 1);
      store.saveRollout(input('b'), [ev('b1'), ev('b2')], 0, 2);
      store.saveRollout(input('a'), [ev('a4')], 1, 3);
      const all = store.eventsSince(0);
      expect(all).toHaveLength(6);
      expect(store.eventsSince(all[1].seq).map((e) => e.message)).toEqual(['a3', 'b1', 'b2', 'a4']);
      expect(store.eventsSince(all[1].seq, 2).map((e) => e.message)).toEqual(['a3', 'b1']);
      expect(store.eventsSince(all[5].seq)).toEqual([]);
      expect(store.eventsSince(0, 0)).toEqual([]);
      expect(store.listEvents('a', { afterSeq: all[0].seq }).map((e) => e.message)).toEqual(['a2', 'a3', 'a4']);
      expect(store.listEvents('a', { afterSeq: all[0].seq, limit: 2 }).map((e) => e.message)).toEqual(['a2', 'a3']);
      expect(store.listEvents('a', { limit: 1 }).map((e) => e.message)).toEqual(['a1']);
      expect(store.listEvents('b', { afterSeq: all[4].seq })).toEqual([]);
      expect(store.listEvents('nobody')).toEqual([]);
      expectCode(() => store.eventsSince(0, -1), 'SLUICE_STORE_INVALID_ARGUMENT');
      expectCode(() => store.listEvents('a', { limit: 1.5 }), 'SLUICE_STORE_INVALID_ARGUMENT');
      expectCode(() => store.eventsSince(Number.NaN), 'SLUICE_STORE_INVALID_ARGUMENT');
    });

    it('deletes a rollout with a final event; its events stay queryable; seq is never reused', () => {
      store.saveRollout(input('web', 3), [ev('started')], 0, 1);
      store.saveRollout(input('api'), [ev('api started')], 0, 2);
      expect(store.deleteRollout('web', { type: 'aborted', message: 'deleted by alice', actor: 'alice' }, 5)).toBe(true);
      expect(store.getRollout('web')).toBeUndefined();
      expect(store.listRollouts().map((r) => r.name)).toEqual(['api']);
      const events = store.listEvents('web');
      expect(events.map((e) => [e.type, e.message, e.revision, e.time])).toEqual([
        ['weight-changed', 'started', 3, 1],
        ['aborted', 'deleted by alice', 3, 5],
      ]);
      const count = store.eventsSince(0).length;
      expect(store.deleteRollout('web', ev('again'), 6)).toBe(false);
      expect(store.eventsSince(0)).toHaveLength(count);
      const again = store.saveRollout(input('web'), [ev('recreated')], 0, 7);
      expect(again.record).toMatchObject({ version: 1, createdAt: 7 });
      expect(again.events[0].seq).toBeGreaterThan(events[1].seq);
    });

    it('deep-copies values in and out', () => {
      const record = input('web');
      const draft = ev('x', { nested: { list: [1, 2] } });
      const saved = store.saveRollout(record, [draft], 0, 1);
      record.state.canaryWeight = 99;
      record.rollout.metadata.labels!.team = 'mutated';
      (draft.data!.nested as { list: number[] }).list.push(3);
      saved.record.state.routes.canary.push('http://evil:1');
      saved.events[0].data!.extra = true;
      const read = store.getRollout('web')!;
      read.state.phase = 'aborted';
      store.listRollouts()[0].state.message = 'mutated';
      store.eventsSince(0)[0].message = 'mutated';
      const fresh = store.getRollout('web')!;
      expect(fresh.state.canaryWeight).toBe(5);
      expect(fresh.state.phase).toBe('progressing');
      expect(fresh.state.message).toBe('weight 5%');
      expect(fresh.state.routes.canary).toEqual(['http://b:1', 'http://c:1']);
      expect(fresh.rollout.metadata.labels!.team).toBe('payments');
      expect(store.listEvents('web')).toEqual([expect.objectContaining({ message: 'x', data: { nested: { list: [1, 2] } } })]);
      expect(fresh).not.toBe(read);
    });

    it('round-trips nested JSON values exactly as JSON does', () => {
      const record = input('web');
      const lastCheck = {
        verdict: 'fail' as const,
        from: 0.5,
        to: 1e15 + 1,
        canary: { requests: 412, errors: 28, successRate: 93.203883, p99: 1234.5 },
        stable: { requests: 0, errors: 0 },
        metrics: [{ name: 'success-rate', verdict: 'fail' as const, value: -0.0001, samples: 412, reason: 'quote " backslash \\ newline \n emoji 🚦' }],
        summary: 'nested',
      };
      record.state.lastCheck = lastCheck;
      record.state.pauseReason = undefined; // undefined properties vanish, as in JSON
      const data = { deep: { a: [{ b: [null, true, false, 0, '', { c: 'd' }] }] }, big: Number.MAX_SAFE_INTEGER };
      const saved = store.saveRollout(record, [{ type: 'check', message: 'm', data }], 0, 1);
      const read = store.getRollout('web')!;
      expect(read.state.lastCheck).toEqual(lastCheck);
      expect(read.state).not.toHaveProperty('pauseReason');
      expect(read.rollout).toEqual(rollout('web'));
      expect(read).toEqual(saved.record);
      const [event] = store.listEvents('web');
      expect(event.data).toEqual(data);
      expect(event).not.toHaveProperty('actor');
      expect(store.listEvents('web')).toEqual(saved.events);
    });

    it('rejects bad input with a clear error and writes nothing', () => {
      expectCode(() => store.saveRollout(input('web'), [], -1, 1), 'SLUICE_STORE_INVALID_ARGUMENT');
      expectCode(() => store.saveRollout(input('web'), [], 0.5, 1), 'SLUICE_STORE_INVALID_ARGUMENT');
      expectCode(() => store.saveRollout(input(''), [], 0, 1), 'SLUICE_STORE_INVALID_ARGUMENT');
      expectCode(() => store.saveRollout(input('web'), [], 0, Number.NaN), 'SLUICE_STORE_INVALID_ARGUMENT');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const err = expectCode(() => store.saveRollout(input('web'), [ev('ok'), ev('bad', cyclic)], 0, 1), 'SLUICE_STORE_INVALID_ARGUMENT');
      expect(err.message).toMatch(/events\[1\]\.data is not JSON-serialisable/);
      const noMessage = { type: 'started' } as unknown as EventDraft;
      expectCode(() => store.saveRollout(input('web'), [ev('ok'), noMessage], 0, 1), 'SLUICE_STORE_INVALID_ARGUMENT');
      const big = input('web');
      (big.state as unknown as { big: bigint }).big = 1n;
      expectCode(() => store.saveRollout(big, [], 0, 1), 'SLUICE_STORE_INVALID_ARGUMENT');
      expect(store.listRollouts()).toEqual([]);
      expect(store.eventsSince(0)).toEqual([]);
    });

    it('refuses to work once closed', () => {
      store.saveRollout(input('web'), [], 0, 1);
      store.close();
      expectCode(() => store.getRollout('web'), 'SLUICE_STORE_CLOSED');
      expectCode(() => store.saveRollout(input('web'), [], 1, 2), 'SLUICE_STORE_CLOSED');
      expectCode(() => store.eventsSince(0), 'SLUICE_STORE_CLOSED');
      store.close(); // closing twice is harmless
    });
  });
}

export { input as sampleRolloutInput };
