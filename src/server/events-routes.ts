import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Controller } from '../controller/controller.js';
import type { FlagChange, FlagService } from '../flags/service.js';
import type { Logger } from '../log/logger.js';
import type { Store, StoredEvent } from '../store/store.js';
import { ApiError } from './errors.js';
import { flagSummary, type FlagSummary } from './flags-routes.js';
import { rolloutView, type LiveStats } from './views.js';

/** Where replayed events come from (the store). */
export type EventHistory = Pick<Store, 'listEvents' | 'eventsSince'>;

export interface EventStreamOptions {
  controller: Controller;
  history: EventHistory;
  live: LiveStats;
  logger: Logger;
  /** How often state is checked and metrics are sent (ms, default 1000). */
  intervalMs?: number;
  /** A comment line this often keeps proxies and clients from timing out (ms, default 15000). */
  heartbeatMs?: number;
  now?: () => number;
  /** Flag changes go to streams that follow every rollout, as `event: flag`. */
  flags?: Pick<FlagService, 'subscribe' | 'flags'>;
}

/**
 * `event: flag` of the stream: one committed change to an environment's
 * flags, with the changed flags as `GET /flags` lists them and the keys that
 * no longer exist. It carries no `id:`, so Last-Event-ID keeps naming the
 * last rollout event; a client that reconnects reads `GET /flags` again.
 */
export interface FlagStreamEvent {
  environment: string;
  /** The environment's flag revision after the change. */
  revision: number;
  actor: string;
  /** ms since the epoch */
  time: number;
  flags: FlagSummary[];
  /** Keys of the changed flags that were deleted. */
  removed: string[];
}

/** A client that reads slower than this many buffered bytes is cut off (it reconnects with Last-Event-ID). */
const MAX_BUFFERED = 1 << 20;
const REPLAY_PAGE = 1000;

interface Stream {
  rollout: string | undefined;
  res: ServerResponse;
  lastSeq: number;
  /** Last `state` sent per rollout, to send only changes. */
  states: Map<string, string>;
  check(name: string): void;
}

const DESCRIPTION = `Server-Sent Events. \`event: decision\` carries a stored event (the \`id:\` is its seq, so a
reconnect with Last-Event-ID resumes after it); \`event: state\` the rollout view whenever it changes (and once
on connect); \`event: metrics\` {rollout, time, live} with per-version rates every second; \`event: gone\` when a
rollout is deleted; comment lines are heartbeats. Without a rollout filter, \`event: flag\` {environment, revision,
actor, time, flags, removed} follows every change to feature flags (\`flags\` as GET /flags lists them, \`removed\` the
deleted keys); it has no id, so Last-Event-ID keeps naming rollout events.`;

/** `GET /api/v1/events[?rollout=NAME]`: rollout changes, decisions and live metrics as Server-Sent Events. */
export function registerEventRoutes(api: FastifyInstance, opts: EventStreamOptions): void {
  const { controller, history, live, logger } = opts;
  const intervalMs = opts.intervalMs ?? 1000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const now = opts.now ?? Date.now;
  const streams = new Set<Stream>();

  const onEvents = (events: StoredEvent[]) => {
    for (const s of streams) {
      const mine = events.filter((e) => e.seq > s.lastSeq && (s.rollout === undefined || e.rollout === s.rollout));
      for (const e of mine) send(s, 'decision', e, e.seq);
      for (const name of new Set(mine.map((e) => e.rollout))) s.check(name);
    }
  };
  controller.on('events', onEvents);
  const flags = opts.flags;
  const unsubscribeFlags = flags?.subscribe((change) => {
    const followers = [...streams].filter((s) => s.rollout === undefined);
    if (!followers.length) return;
    const event = flagEvent(flags, change);
    for (const s of followers) send(s, 'flag', event);
  });
  api.addHook('preClose', async () => {
    controller.off('events', onEvents);
    unsubscribeFlags?.();
    for (const s of streams) s.res.end();
  });

  api.get<{ Querystring: { rollout?: string; after?: string }; Headers: { 'last-event-id'?: string } }>(
    '/events',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Live stream of rollout state changes, decisions and per-version metrics',
        description: DESCRIPTION,
        tags: ['rollouts'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            rollout: { type: 'string', minLength: 1, description: 'only this rollout (default: every rollout)' },
            after: { type: 'string', pattern: '^[0-9]+$', description: 'first replay the stored events after this seq (Last-Event-ID wins)' },
          },
        },
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]+$', description: 'resume after this seq' } } },
        response: { 200: { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
      },
    },
    async (req, reply) => {
      const name = req.query.rollout;
      if (name !== undefined && !controller.get(name)) throw new ApiError(404, 'SLUICE_NOT_FOUND', `no rollout named "${name}"; \`sluice get rollouts\` lists them`);
      const resumeFrom = req.headers['last-event-id'] ?? req.query.after;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 1000\n\n');

      const stream: Stream = {
        rollout: name,
        res,
        lastSeq: 0,
        states: new Map(),
        check: (rollout) => {
          const record = controller.get(rollout);
          if (!record) {
            if (stream.states.delete(rollout) || rollout === name) send(stream, 'gone', { rollout });
            if (rollout === name) res.end();
            return;
          }
          const view = rolloutView(record, live(rollout));
          const key = JSON.stringify({ ...view, live: undefined });
          if (stream.states.get(rollout) === key) return;
          stream.states.set(rollout, key);
          send(stream, 'state', view);
        },
      };
      streams.add(stream);
      // Store reads are synchronous: no event can slip in between the replay and the subscription.
      if (resumeFrom !== undefined) replay(stream, Number(resumeFrom));
      const names = () => (name !== undefined ? [name] : [...new Set([...controller.list().map((r) => r.name), ...stream.states.keys()])]);
      for (const n of names()) stream.check(n);

      const tick = setInterval(() => {
        const t = now();
        for (const n of names()) {
          stream.check(n);
          if (stream.states.has(n)) send(stream, 'metrics', { rollout: n, time: new Date(t).toISOString(), live: live(n) ?? null });
        }
      }, intervalMs);
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
      tick.unref();
      heartbeat.unref();
      logger.debug({ rollout: name ?? '*', after: resumeFrom, actor: req.principal?.name }, 'event stream opened');
      res.on('close', () => {
        clearInterval(tick);
        clearInterval(heartbeat);
        streams.delete(stream);
        logger.debug({ rollout: name ?? '*' }, 'event stream closed');
      });
    },
  );

  function replay(s: Stream, after: number): void {
    s.lastSeq = after;
    for (;;) {
      const page = s.rollout !== undefined ? history.listEvents(s.rollout, { afterSeq: s.lastSeq, limit: REPLAY_PAGE }) : history.eventsSince(s.lastSeq, REPLAY_PAGE);
      for (const e of page) send(s, 'decision', e, e.seq);
      if (page.length < REPLAY_PAGE || s.res.destroyed) return;
    }
  }
}

function flagEvent(flags: Pick<FlagService, 'flags'>, change: FlagChange): FlagStreamEvent {
  const changed = new Set(change.flags);
  const current = flags.flags({ environment: change.environment }).filter((f) => changed.has(f.key));
  const present = new Set(current.map((f) => f.key));
  return {
    environment: change.environment,
    revision: change.revision,
    actor: change.actor,
    time: change.time,
    flags: current.map(flagSummary),
    removed: change.flags.filter((k) => !present.has(k)),
  };
}

function send(s: Stream, event: string, data: unknown, id?: number): void {
  if (s.res.destroyed || s.res.writableEnded) return;
  if (s.res.writableLength > MAX_BUFFERED) {
    s.res.destroy();
    return;
  }
  if (id !== undefined) s.lastSeq = Math.max(s.lastSeq, id);
  s.res.write(`event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
}
