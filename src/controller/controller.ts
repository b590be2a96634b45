import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import { initialState, isTerminal, step } from '../engine/index.js';
import { canaryServes } from '../engine/draft.js';
import type { Input, Rejection, RolloutState, StepResult } from '../engine/types.js';
import type { Logger } from '../log/logger.js';
import type { Routes, TrafficRouter } from '../routers/router.js';
import type { Rollout } from '../spec/types.js';
import type { RolloutRecord, Store, StoredEvent } from '../store/store.js';
import { ControllerError } from './errors.js';
import { measureCheck, type WindowSource } from './checks.js';
import { KeyedMutex } from './keyed-mutex.js';
import { JudgeFeed } from './judge-feed.js';
import type { CounterSource } from '../metrics/builtin.js';
import type { HookResult } from '../engine/types.js';
import { defaultHookRunners } from '../hooks/index.js';
import { HookRuns, type RunnerFor } from './hook-runs.js';
import { NotificationSender, type NotifyOptions } from './notifications.js';
import { approveActor, type ApprovalClaim } from '../notify/approve-link.js';

export interface ControllerOptions {
  store: Store;
  router: TrafficRouter;
  /** Per-version measurements over a window (the builtin provider). */
  windows: WindowSource;
  logger: Logger;
  now?: () => number;
  /** How often rollouts are stepped; default 250 ms. */
  tickMs?: number;
  /** The data plane's cumulative per-version counters, batched for the sequential judge. */
  counters?: CounterSource;
  /** Runs spec.hooks (default: real webhooks and the built-in load generator). */
  hookRunners?: RunnerFor;
  /** Sends spec.notifications, with approve links when `links` is given. */
  notify?: NotifyOptions;
}

/** What an approve link did: ended the pause, or why not (the link is then spent or stale). */
export type ApproveOutcome =
  | { outcome: 'approved'; record: RolloutRecord }
  | { outcome: 'used' | 'moved-on' | 'not-found'; message: string };

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

export type UserCommand = Exclude<Input, { type: 'tick' } | { type: 'check' } | { type: 'hook' }>;

/**
 * Drives every rollout: feeds the engine ticks, checks and user commands,
 * persists each new state with its events (intent), then applies the routes to
 * the data plane (effect) and records that the data plane confirmed them.
 *
 * Emits `events` (StoredEvent[]) after each save, for streaming.
 */
export class Controller extends EventEmitter {
  private readonly store: Store;
  private readonly router: TrafficRouter;
  private readonly windows: WindowSource;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly mutex = new KeyedMutex();
  /** Rollouts whose routes the data plane has not confirmed yet, warned about once. */
  private readonly unconfirmed = new Set<string>();
  private readonly judgeFeed: JudgeFeed | undefined;
  private readonly hookRuns: HookRuns;
  private readonly notifications: NotificationSender;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(opts: ControllerOptions) {
    super();
    this.store = opts.store;
    this.router = opts.router;
    this.windows = opts.windows;
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
    this.tickMs = opts.tickMs ?? 250;
    this.judgeFeed = opts.counters ? new JudgeFeed(opts.counters) : undefined;
    this.hookRuns = new HookRuns(opts.hookRunners ?? defaultHookRunners(), (name, result) => this.takeHook(name, result), this.log);
    this.notifications = new NotificationSender(opts.notify ?? {}, this.log, this.now);
  }

  /** Re-applies every persisted route (the repair after a crash), then starts ticking. */
  async start(): Promise<void> {
    for (const record of this.store.listRollouts()) {
      await this.mutex.run(record.name, () => this.reconcile(record.name, true));
    }
    this.timer = setInterval(() => void this.tickAll(), this.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.hookRuns.stop();
    await this.notifications.stop();
    await this.mutex.idle();
  }

  get(name: string): RolloutRecord | undefined {
    return this.store.getRollout(name);
  }

  list(): RolloutRecord[] {
    return this.store.listRollouts();
  }

  /**
   * Starts a rollout of `rollout`, or a new revision of an existing one that has
   * finished. Applying the same document again changes nothing; applying a
   * different one while a rollout is in progress is refused (409), unchanged.
   */
  apply(rollout: Rollout, actor: string): Promise<{ outcome: ApplyOutcome; record: RolloutRecord; warnings: string[] }> {
    const name = rollout.metadata.name;
    return this.mutex.run(name, async () => {
      this.assertListenFree(name, rollout.spec.service.listen);
      const existing = this.store.getRollout(name);
      if (existing && sameDocument(existing.rollout, rollout)) return { outcome: 'unchanged' as const, record: existing, warnings: [] };
      if (existing && !isTerminal(existing.state.phase)) {
        throw new ControllerError(
          'SLUICE_ROLLOUT_IN_PROGRESS',
          `rollout "${name}" is ${existing.state.phase} (${existing.state.message}); ` +
            `wait for it to finish, or run \`sluice abort ${name}\`, before applying a different version`,
        );
      }
      const now = this.now();
      const warnings = existing ? stableWarnings(existing, rollout) : [];
      // A name reused after a delete continues its revisions, so histories never mix.
      const lastRevision = existing?.state.revision ?? Math.max(0, ...this.store.listEvents(name).map((e) => e.revision));
      const start = byActor(initialState(name, lastRevision + 1, rollout.spec, now), actor);
      if (!existing || existing.state.routes.listen !== rollout.spec.service.listen) {
        // A new listener may fail to bind; find out before anything is stored.
        await this.applyRoutes(name, { ...start.state.routes, canaryWeight: 0 });
      }
      const saved = this.save({ ...this.base(existing, name), rollout }, start, existing?.version ?? 0, now);
      const record = await this.follow(saved, start);
      return { outcome: existing ? ('updated' as const) : ('created' as const), record, warnings };
    });
  }

  /** promote, abort, pause, resume or retry; refused with SLUICE_INVALID_TRANSITION when the phase forbids it. */
  command(name: string, input: UserCommand): Promise<RolloutRecord> {
    return this.mutex.run(name, async () => {
      const record = this.mustGet(name);
      const result = step(record.state, input, this.now());
      if (result.rejected) throw new ControllerError('SLUICE_INVALID_TRANSITION', result.rejected.message + refusalHint(name, record.state, input.type, result.rejected));
      const saved = this.save(record, result, record.version, this.now());
      return this.follow(saved, result);
    });
  }

  /**
   * Ends the pause an approve link was made for, once: the link's use is the
   * actor of the resulting events, so a second use (even after a restart) is
   * found in the stored history and refused, as is a link whose pause is over.
   */
  approve(claim: ApprovalClaim): Promise<ApproveOutcome> {
    return this.mutex.run(claim.rollout, async () => {
      const record = this.store.getRollout(claim.rollout);
      if (!record) return { outcome: 'not-found' as const, message: `rollout "${claim.rollout}" no longer exists` };
      const actor = approveActor(claim.id);
      if (this.store.listEvents(claim.rollout).some((e) => e.actor === actor)) {
        return { outcome: 'used' as const, message: `this link was already used; rollout "${claim.rollout}" is ${record.state.phase}: ${record.state.message}` };
      }
      const s = record.state;
      const same = s.revision === claim.revision && s.startedAt === claim.startedAt && s.stepIndex === claim.step && s.phase === 'paused';
      const result = same ? step(s, { type: 'promote', full: false, actor }, this.now()) : undefined;
      if (!result || result.rejected) {
        return { outcome: 'moved-on' as const, message: `the pause this link was for (revision ${claim.revision}, step ${claim.step + 1}) is over; rollout "${claim.rollout}" is ${s.phase}: ${s.message}` };
      }
      const saved = this.save(record, result, record.version, this.now());
      return { outcome: 'approved' as const, record: await this.follow(saved, result) };
    });
  }

  /** Stops carrying the service and forgets the rollout; its events stay queryable. */
  remove(name: string, actor: string): Promise<void> {
    return this.mutex.run(name, async () => {
      const record = this.mustGet(name);
      this.hookRuns.forget(name);
      await this.router.finalize(name);
      const event = { type: 'deleted' as const, actor, message: `rollout "${name}" deleted by ${actor}; its listener ${record.state.routes.listen} is closed` };
      const [stored] = this.store.deleteRollout(name, event, this.now()) ? this.store.listEvents(name).slice(-1) : [];
      if (stored) this.emit('events', [stored]);
    });
  }

  /** A rollout's history, kept after it is deleted. */
  events(name: string, opts?: { afterSeq?: number; limit?: number }): StoredEvent[] {
    const events = this.store.listEvents(name, opts);
    if (events.length === 0 && !this.store.getRollout(name) && this.store.listEvents(name, { limit: 1 }).length === 0) this.mustGet(name);
    return events;
  }

  private async tickAll(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const record of this.store.listRollouts()) {
        if (this.mutex.busy(record.name)) continue;
        await this.mutex.run(record.name, () => this.tickOne(record.name));
      }
    } catch (err) {
      this.log.error({ err }, 'controller tick failed');
    } finally {
      this.ticking = false;
    }
  }

  private async tickOne(name: string): Promise<void> {
    const record = this.store.getRollout(name);
    if (!record) return;
    this.hookRuns.sync(record.state);
    if (!isDeepStrictEqual(record.confirmedRoutes, record.state.routes)) {
      await this.reconcile(name, false);
      return;
    }
    if (isTerminal(record.state.phase)) return;
    const now = this.now();
    // The judge's batch and the tick are stepped together and saved once.
    const judged = this.judgeStep(record.state, now);
    const base = judged?.state ?? record.state;
    const ticked = isTerminal(base.phase) ? undefined : step(base, { type: 'tick' }, now);
    const result: StepResult | undefined = ticked && !ticked.rejected ? { state: ticked.state, actions: [...(judged?.actions ?? []), ...ticked.actions] } : judged;
    if (!result || (result.actions.length === 0 && isDeepStrictEqual(result.state, record.state))) return;
    await this.follow(this.save(record, result, record.version, now), result);
  }

  /** The judge's step on the counts since its previous batch; undefined when there is nothing to judge. */
  private judgeStep(state: RolloutState, now: number): StepResult | undefined {
    if (!this.judgeFeed || !state.judge || !canaryServes(state)) return undefined;
    const batch = this.judgeFeed.next(state);
    if (!batch) return undefined;
    const result = step(state, { type: 'judge', batch }, now);
    return result.rejected ? undefined : result;
  }

  /** A hook run's result, fed to the engine like any input (a stale one is dropped). */
  private takeHook(name: string, result: HookResult): Promise<void> {
    return this.mutex.run(name, async () => {
      const record = this.store.getRollout(name);
      if (!record) return;
      const stepped = step(record.state, { type: 'hook', result }, this.now());
      if (stepped.rejected) {
        this.log.debug({ rollout: name, run: result.id, code: stepped.rejected.code }, stepped.rejected.message);
        return;
      }
      await this.follow(this.save(record, stepped, record.version, this.now()), stepped);
    });
  }

  /**
   * Carries out a saved step's actions: routes to the data plane, checks measured
   * and fed back into the engine (each result saved before its effects).
   */
  private async follow(record: RolloutRecord, result: StepResult): Promise<RolloutRecord> {
    let current = record;
    let pending = result;
    for (;;) {
      if (pending.actions.some((a) => a.type === 'setRoutes')) current = await this.confirm(current);
      const check = pending.actions.find((a) => a.type === 'runCheck');
      if (!check || check.type !== 'runCheck') return current;
      // A sample now ends this window and starts the next one at the same counters.
      this.windows.mark?.(current.name);
      const measured = await measureCheck(this.windows, current, check.from, check.to);
      pending = step(current.state, { type: 'check', result: measured }, this.now());
      if (pending.rejected) return current;
      current = this.save(current, pending, current.version, this.now());
    }
  }

  /** Applies the persisted routes and records what the data plane confirmed. */
  private async confirm(record: RolloutRecord): Promise<RolloutRecord> {
    try {
      const live = await this.applyRoutes(record.name, record.state.routes);
      if (!isDeepStrictEqual(live, record.state.routes)) {
        // Retried every tick: say it once per rollout until the data plane confirms (a kill switch can hold it for long).
        if (!this.unconfirmed.has(record.name)) {
          this.unconfirmed.add(record.name);
          this.log.warn({ rollout: record.name, want: record.state.routes, live }, 'data plane did not confirm the routes; retrying every tick until it does');
        }
        return record;
      }
      if (this.unconfirmed.delete(record.name)) this.log.info({ rollout: record.name }, 'data plane confirmed the routes');
      this.windows.mark?.(record.name);
      this.judgeFeed?.reset(record.name);
      return this.save({ ...record, confirmedRoutes: live }, { state: record.state, actions: [] }, record.version, this.now());
    } catch (err) {
      this.log.error({ rollout: record.name, err }, 'applying routes failed; will retry');
      return record;
    }
  }

  /** Startup and repair: re-apply the persisted intent, and say so in the history when it was needed. */
  private async reconcile(name: string, startup: boolean): Promise<void> {
    const record = this.store.getRollout(name);
    if (!record) return;
    const before = await this.router.getRoutes(name).catch(() => undefined);
    const confirmed = await this.confirm(record);
    if (!confirmed.confirmedRoutes || isDeepStrictEqual(before, record.state.routes)) return;
    const why = startup ? 'after a restart' : 'after the data plane drifted or failed';
    const event = {
      type: 'routes-confirmed' as const,
      message: `re-applied the persisted routes ${why}: ${describeRoutes(record.state.routes)}`,
      data: { routes: record.state.routes },
    };
    this.save(confirmed, { state: confirmed.state, actions: [{ type: 'event', event }] }, confirmed.version, this.now());
  }

  private async applyRoutes(name: string, routes: Routes): Promise<Routes | undefined> {
    try {
      await this.router.setRoutes(name, routes);
      return await this.router.getRoutes(name);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const plane = this.router.typeFor?.(routes.listen) ?? this.router.type;
      throw new ControllerError('SLUICE_ROUTER_FAILED', `the ${plane} data plane refused the routes for "${name}": ${message}`, { cause: err });
    }
  }

  private save(record: Pick<RolloutRecord, 'name' | 'rollout' | 'confirmedRoutes'>, result: StepResult, expectedVersion: number, now: number): RolloutRecord {
    const events = result.actions.flatMap((a) => (a.type === 'event' ? [a.event] : []));
    const state: RolloutState = result.state;
    const saved = this.store.saveRollout({ name: record.name, rollout: record.rollout, state, confirmedRoutes: record.confirmedRoutes }, events, expectedVersion, now);
    for (const e of saved.events) this.log.info({ rollout: e.rollout, revision: e.revision, event: e.type, actor: e.actor }, e.message);
    if (saved.events.length) this.emit('events', saved.events);
    // Only now that the state saying which hooks run is stored (intent), run them (effect).
    this.hookRuns.sync(saved.record.state);
    for (const a of result.actions) if (a.type === 'notify') this.notifications.send(saved.record, a.notification);
    return saved.record;
  }

  private base(existing: RolloutRecord | undefined, name: string): Pick<RolloutRecord, 'name' | 'confirmedRoutes'> {
    return { name, confirmedRoutes: existing?.confirmedRoutes };
  }

  private mustGet(name: string): RolloutRecord {
    const record = this.store.getRollout(name);
    if (!record) throw new ControllerError('SLUICE_NOT_FOUND', `no rollout named "${name}"; \`sluice get rollouts\` lists them`);
    return record;
  }

  private assertListenFree(name: string, listen: string): void {
    const other = this.store.listRollouts().find((r) => r.name !== name && r.state.routes.listen === listen);
    if (other) {
      throw new ControllerError('SLUICE_LISTEN_IN_USE', `listen address ${listen} is already used by rollout "${other.name}"; pick another spec.service.listen`);
    }
  }
}

/** The same document again: by digest when both have one (survives new defaults), else by content. */
function sameDocument(a: Rollout, b: Rollout): boolean {
  if (a.digest !== undefined && b.digest !== undefined) return a.digest === b.digest;
  const { digest: _a, ...restA } = a;
  const { digest: _b, ...restB } = b;
  return isDeepStrictEqual(restA, restB);
}

/** Applying after a promotion with the old stable in the file moves stable traffic without analysis: say so. */
function stableWarnings(existing: RolloutRecord, next: Rollout): string[] {
  const live = [...existing.state.routes.stable].sort();
  const wanted = [...next.spec.service.stable.upstreams].sort();
  if (isDeepStrictEqual(live, wanted)) return [];
  return [
    `stable traffic moves from ${live.join(', ')} (live now) to ${wanted.join(', ')} (spec.service.stable) at once, without analysis; ` +
      `after a promotion, put the promoted version under stable.upstreams`,
  ];
}

export function describeRoutes(r: Routes): string {
  const extras = r.canary.length === 0 ? [] : [
    ...((r.match?.length ?? 0) > 0 ? ['requests matching an A/B rule to canary'] : []),
    ...(r.mirror ? [`${r.mirror.percent}% of stable's requests mirrored to canary`] : []),
  ];
  if (r.canary.length === 0 || (r.canaryWeight === 0 && extras.length === 0)) return `all traffic on stable (${r.stable.join(', ')}) at ${r.listen}`;
  if (r.canaryWeight === 0) return `stable at ${r.listen}; ${extras.join('; ')}`;
  if (extras.length > 0) return `${100 - r.canaryWeight}% stable / ${r.canaryWeight}% canary at ${r.listen}; ${extras.join('; ')}`;
  return `${100 - r.canaryWeight}% stable / ${r.canaryWeight}% canary at ${r.listen}`;
}

/** The `started` event, and the notification telling it, name who applied the document. */
function byActor(start: StepResult, actor: string): StepResult {
  return {
    ...start,
    actions: start.actions.map((a) => {
      if (a.type === 'event' && a.event.type === 'started') return { ...a, event: { ...a.event, actor } };
      if (a.type === 'notify' && a.notification.event === 'started') return { ...a, notification: { ...a.notification, actor } };
      return a;
    }),
  };
}

/** What to do instead of a refused command; a refusal that already says it (undo outside its window, resume at a gate) gets none. */
function refusalHint(name: string, state: RolloutState, verb: UserCommand['type'], rejected: Rejection): string {
  if (verb === 'resume' && state.pauseReason === 'gate') return `; \`sluice promote ${name}\` approves it`;
  if (!rejected.byPhase) return '';
  if (state.phase === 'rolled-back' || state.phase === 'aborted') return `; \`sluice retry ${name}\` starts it again from its first step`;
  if (state.phase === 'promoted') return '; apply a new version to start another rollout';
  if (verb === 'undo') return `; undo returns a promoted rollout to its previous stable — \`sluice abort ${name}\` sends all traffic back to stable now`;
  if (verb === 'resume') return `; it is not paused (\`sluice status ${name}\`)`;
  if (verb === 'pause') return `; it is already paused: \`sluice resume ${name}\` or \`sluice promote ${name}\` continues it`;
  return '';
}
