import type { FastifyInstance } from 'fastify';
import type { Controller, UserCommand } from '../controller/controller.js';
import { parseRolloutDocuments, validateRollout } from '../spec/index.js';
import type { Rollout } from '../spec/types.js';
import { ApiError } from './errors.js';
import { rolloutView, type LiveStats } from './views.js';

type Params = { name: string };

/** Rollout endpoints under /api/v1. */
export function registerRolloutRoutes(api: FastifyInstance, controller: Controller, live: LiveStats): void {
  const view = (name: string) => {
    const record = controller.get(name);
    if (!record) throw new ApiError(404, 'SLUICE_NOT_FOUND', `no rollout named "${name}"; \`sluice get rollouts\` lists them`);
    return rolloutView(record, live(name));
  };

  api.get('/rollouts', async () => ({ rollouts: controller.list().map((r) => rolloutView(r, live(r.name))) }));

  api.post('/rollouts', async (req, reply) => {
    const source = String(req.headers['x-sluice-source'] ?? 'request body');
    const rollouts = parseBody(req.body, source);
    const results = [];
    for (const rollout of rollouts) {
      const { outcome, record } = await controller.apply(rollout, actorOf(req.headers));
      results.push({ name: record.name, outcome, rollout: rolloutView(record, live(record.name)) });
    }
    void reply.status(results.some((r) => r.outcome === 'created') ? 201 : 200);
    return { results };
  });

  api.get<{ Params: Params }>('/rollouts/:name', async (req) => view(req.params.name));

  api.delete<{ Params: Params }>('/rollouts/:name', async (req) => {
    await controller.remove(req.params.name, actorOf(req.headers));
    return { deleted: req.params.name };
  });

  api.get<{ Params: Params; Querystring: { after?: string; limit?: string } }>('/rollouts/:name/events', async (req) => {
    const afterSeq = intParam(req.query.after, 'after', 0);
    const limit = intParam(req.query.limit, 'limit', 1000);
    return { events: controller.events(req.params.name, { afterSeq, limit }) };
  });

  const commands: Record<string, (body: Record<string, unknown>, actor: string) => UserCommand> = {
    promote: (b, actor) => ({ type: 'promote', full: b.full === true, actor }),
    abort: (b, actor) => ({ type: 'abort', actor, reason: typeof b.reason === 'string' ? b.reason : undefined }),
    pause: (_b, actor) => ({ type: 'pause', actor }),
    resume: (_b, actor) => ({ type: 'resume', actor }),
    retry: (_b, actor) => ({ type: 'retry', actor }),
  };
  for (const [verb, toInput] of Object.entries(commands)) {
    api.post<{ Params: Params }>(`/rollouts/:name/${verb}`, async (req) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'SLUICE_BAD_REQUEST', `the body of ${verb} must be a JSON object such as {}`);
      const record = await controller.command(req.params.name, toInput(body, actorOf(req.headers)));
      return rolloutView(record, live(record.name));
    });
  }
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

function actorOf(headers: Record<string, unknown>): string {
  const who = headers['x-sluice-actor'];
  return typeof who === 'string' && who.trim() ? who.trim().slice(0, 100) : 'api';
}

function intParam(raw: string | undefined, name: string, dflt: number): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(400, 'SLUICE_BAD_REQUEST', `query parameter ${name} must be a non-negative integer, got "${raw}"`);
  return n;
}
