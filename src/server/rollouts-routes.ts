import type { FastifyInstance } from 'fastify';
import type { Controller, UserCommand } from '../controller/controller.js';
import { missingSecrets } from '../notify/index.js';
import { parseRolloutDocuments, validateRollout } from '../spec/index.js';
import type { Rollout } from '../spec/types.js';
import { actorOf } from './auth.js';
import { ApiError, toApiError } from './errors.js';
import { rolloutView, type LiveStats } from './views.js';

type Params = { name: string };

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** The applied document; the spec parser validates it field by field (the OpenAPI document shows its full schema). */
const ROLLOUT_DOCUMENT = { $id: 'Rollout', type: 'object', additionalProperties: true, description: 'a Rollout document (apiVersion, kind, metadata, spec)' } as const;

const OBJECT = { type: 'object', additionalProperties: true } as const;
/** The view every rollout endpoint returns; open-ended, so fields added to the view are never dropped. */
const ROLLOUT_VIEW = {
  type: 'object',
  additionalProperties: true,
  properties: {
    name: { type: 'string' },
    revision: { type: 'integer' },
    phase: { type: 'string', description: 'progressing, paused, promoted, rolled-back, aborted, …' },
    pauseReason: { type: 'string' },
    message: { type: 'string' },
    step: { ...OBJECT, description: '{index, total, current, percent}' },
    canaryWeight: { type: 'number' },
    routes: OBJECT,
    routesConfirmed: { type: 'boolean' },
    live: { ...OBJECT, description: 'per-version rps, errorRate (%), p99 (ms) over the last seconds' },
    heldBy: { ...OBJECT, description: 'while hooks hold the rollout: {phase, since, hooks: [{name, asked, answer: {ok, status, message}, askingAgainAt}]}' },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    rollout: { ...OBJECT, description: 'the applied document as stored: defaults filled in, shorthand expanded, durations in ms' },
  },
} as const;

const APPLIED = {
  type: 'object',
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          outcome: { type: 'string', enum: ['created', 'updated', 'unchanged'] },
          warnings: { type: 'array', items: { type: 'string' }, description: 'applied, but worth a look (e.g. stable traffic moving without analysis)' },
          rollout: ROLLOUT_VIEW,
        },
      },
    },
  },
} as const;

const NAME_PARAMS = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 253 } } } as const;
const SEQ = { type: 'string', pattern: '^[0-9]+$' } as const;

const COMMANDS: Record<string, { summary: string; body: object; toInput: (b: Record<string, unknown>, actor: string) => UserCommand }> = {
  promote: {
    summary: 'Pass the current step or manual gate; {"full": true} promotes at once',
    body: { full: { type: 'boolean', description: 'skip the remaining steps and analysis' } },
    toInput: (b, actor) => ({ type: 'promote', full: b.full === true, actor }),
  },
  abort: {
    summary: 'Send all traffic back to stable and stop the rollout',
    body: { reason: { type: 'string', maxLength: 1000, description: 'why, recorded in the history' } },
    toInput: (b, actor) => ({ type: 'abort', actor, reason: typeof b.reason === 'string' ? b.reason : undefined }),
  },
  pause: { summary: 'Hold the rollout at its current step', body: {}, toInput: (_b, actor) => ({ type: 'pause', actor }) },
  resume: { summary: 'Continue a rollout paused by a person or by inconclusive checks (a manual gate needs promote)', body: {}, toInput: (_b, actor) => ({ type: 'resume', actor }) },
  retry: { summary: 'Start a rolled-back or aborted rollout again', body: {}, toInput: (_b, actor) => ({ type: 'retry', actor }) },
  undo: {
    summary: 'Within spec.undoWindow after promotion, send all traffic back to the previous stable',
    body: { reason: { type: 'string', maxLength: 1000, description: 'why, recorded in the history' } },
    toInput: (b, actor) => ({ type: 'undo', actor, reason: typeof b.reason === 'string' ? b.reason : undefined }),
  },
};

/** Rollout endpoints under /api/v1: reading needs viewer, commands operator, apply and delete admin. */
export function registerRolloutRoutes(api: FastifyInstance, controller: Controller, live: LiveStats): void {
  api.addSchema(ROLLOUT_DOCUMENT);
  const view = (name: string) => {
    const record = controller.get(name);
    if (!record) throw new ApiError(404, 'SLUICE_NOT_FOUND', `no rollout named "${name}"; \`sluice get rollouts\` lists them`);
    return rolloutView(record, live(name));
  };
  const tags = ['rollouts'];

  api.get(
    '/rollouts',
    { config: { role: 'viewer' }, schema: { summary: 'Every rollout with its phase, step and live traffic', tags, response: { 200: { type: 'object', properties: { rollouts: { type: 'array', items: ROLLOUT_VIEW } } } } } },
    async () => ({ rollouts: controller.list().map((r) => rolloutView(r, live(r.name))) }),
  );

  const yamlBody = { type: 'string', description: 'one or more Rollout documents in YAML' };
  api.post(
    '/rollouts',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Apply Rollout documents: start a rollout, or a new revision of a finished one',
        description:
          'Every document is validated before any is applied; invalid ones give 400 SLUICE_INVALID_SPEC with each error at its file, line, column and field. ' +
          'A webhook notification whose secretEnv is not set in the server\'s environment gives 400 SLUICE_MISSING_SECRET naming the field and the variable.',
        tags,
        headers: { type: 'object', properties: { 'x-sluice-source': { type: 'string', description: 'file name used in error messages' } } },
        body: { content: { 'application/json': { schema: { $ref: 'Rollout#' } }, ...Object.fromEntries(YAML_TYPES.map((t) => [t, { schema: yamlBody }])) } },
        response: { 200: { description: 'applied; nothing was created', ...APPLIED }, 201: { description: 'applied; at least one rollout was created', ...APPLIED } },
      },
    },
    async (req, reply) => {
      const source = String(req.headers['x-sluice-source'] ?? 'request body');
      const rollouts = parseBody(req.body, source);
      assertSecrets(rollouts, source);
      const results = [];
      for (const rollout of rollouts) {
        try {
          const { outcome, record, warnings } = await controller.apply(rollout, actorOf(req));
          results.push({ name: record.name, outcome, warnings, rollout: rolloutView(record, live(record.name)) });
        } catch (err) {
          if (results.length === 0) throw err;
          // Earlier documents were applied: say which, so nobody assumes the whole file failed.
          const api = toApiError(err);
          const done = results.map((r) => `"${r.name}" ${r.outcome}`).join(', ');
          throw new ApiError(api.status, api.code, `${api.message} (rollout "${rollout.metadata.name}"; the documents before it were applied: ${done})`, { applied: results.map((r) => ({ name: r.name, outcome: r.outcome })) }, { cause: err });
        }
      }
      void reply.status(results.some((r) => r.outcome === 'created') ? 201 : 200);
      return { results };
    },
  );

  api.get<{ Params: Params }>(
    '/rollouts/:name',
    { config: { role: 'viewer' }, schema: { summary: 'One rollout', tags, params: NAME_PARAMS, response: { 200: ROLLOUT_VIEW } } },
    async (req) => view(req.params.name),
  );

  api.delete<{ Params: Params }>(
    '/rollouts/:name',
    { config: { role: 'admin' }, schema: { summary: 'Forget a rollout and close its listener (its history is kept)', tags, params: NAME_PARAMS } },
    async (req) => {
      await controller.remove(req.params.name, actorOf(req));
      return { deleted: req.params.name };
    },
  );

  api.get<{ Params: Params; Querystring: { after?: string; limit?: string } }>(
    '/rollouts/:name/events',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Stored events (every decision with its numbers), oldest first',
        tags,
        params: NAME_PARAMS,
        querystring: { type: 'object', additionalProperties: false, properties: { after: { ...SEQ, description: 'only events with a larger seq' }, limit: { ...SEQ, description: 'at most this many (default 1000)' } } },
        response: { 200: { type: 'object', properties: { events: { type: 'array', items: OBJECT } } } },
      },
    },
    async (req) => {
      const afterSeq = Number(req.query.after ?? 0);
      const limit = Number(req.query.limit ?? 1000);
      return { events: controller.events(req.params.name, { afterSeq, limit }) };
    },
  );

  for (const [verb, c] of Object.entries(COMMANDS)) {
    api.post<{ Params: Params; Body: Record<string, unknown> }>(
      `/rollouts/:name/${verb}`,
      {
        config: { role: 'operator', optionalBody: true },
        schema: { summary: c.summary, tags, params: NAME_PARAMS, body: { type: 'object', additionalProperties: false, properties: c.body }, response: { 200: ROLLOUT_VIEW } },
      },
      async (req) => {
        const record = await controller.command(req.params.name, c.toInput(req.body, actorOf(req)));
        return rolloutView(record, live(record.name));
      },
    );
  }
}

/** Signing keys are read from the server's environment: a rollout naming one that is not there would notify nobody, so nothing is applied. */
function assertSecrets(rollouts: Rollout[], source: string): void {
  const missing = rollouts.flatMap((r) => missingSecrets(r.spec.notifications).map((m) => ({ rollout: r.metadata.name, ...m })));
  if (missing.length === 0) return;
  const variables = [...new Set(missing.map((m) => m.variable))].join(', ');
  const errors = missing.map((m) => ({ file: source, path: m.path, message: `rollout "${m.rollout}": ${m.message}` }));
  throw new ApiError(400, 'SLUICE_MISSING_SECRET', `the server has no ${variables} to sign notifications with; set it where \`sluice up\` runs and restart it. Nothing was applied`, { errors });
}

/** A YAML stream (one or more documents) or one JSON document, validated in full before anything is applied. */
function parseBody(body: unknown, source: string): Rollout[] {
  if (typeof body === 'string') {
    const { rollouts, errors } = parseRolloutDocuments(body, source);
    if (errors.length) throw new ApiError(400, 'SLUICE_INVALID_SPEC', `${errors.length} error(s) in ${source}; fix them and apply again`, { errors });
    if (!rollouts.length) throw new ApiError(400, 'SLUICE_INVALID_SPEC', `${source} holds no Rollout document`);
    return rollouts;
  }
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'SLUICE_BAD_REQUEST', 'send one Rollout document as a JSON object, or YAML with Content-Type: application/yaml');
  }
  const { rollout, errors } = validateRollout(body, source);
  if (!rollout || errors.length) throw new ApiError(400, 'SLUICE_INVALID_SPEC', `${errors.length} error(s) in ${source}; fix them and apply again`, { errors });
  return [rollout];
}
