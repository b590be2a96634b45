import type { FastifyInstance } from 'fastify';
import type { VersionWindow } from '../analysis/types.js';
import { Controller } from '../controller/controller.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { MemoryRouter } from '../routers/memory.js';
import { parseRolloutDocuments } from '../spec/index.js';
import type { Rollout } from '../spec/types.js';
import { MemoryStore } from '../store/memory.js';
import { MemoryTokenStore } from '../store/token-store-memory.js';
import type { Role } from '../store/token-store.js';
import { buildApp, type AppOptions } from './app.js';
import { issueToken } from './auth-tokens.js';
import type { LiveStats } from './views.js';

/** A token store holding one active token per role, named after the role, and their texts. */
export function testTokens(now = 1_000): { tokens: MemoryTokenStore; text: Record<Role, string>; bearer: (role: Role) => { authorization: string } } {
  const tokens = new MemoryTokenStore();
  const text = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) text[role] = issueToken(tokens, { name: role, role, createdBy: 'test' }, now).text;
  return { tokens, text, bearer: (role) => ({ authorization: `Bearer ${text[role]}` }) };
}

/**
 * The API over a real Controller on the in-memory store and router, with
 * steady healthy measurements and tokens for every role. For tests of the API
 * (through `inject` or a real listener).
 */
export function testApp(opts: { publicMetrics?: boolean; now?: () => number; stream?: AppOptions['stream']; logger?: Logger } = {}) {
  const store = new MemoryStore();
  const router = new MemoryRouter();
  const canary: VersionWindow = { requests: 100, errors: 0, successRate: 100 };
  const stable: VersionWindow = { requests: 900, errors: 0, successRate: 100 };
  const controller = new Controller({
    store,
    router,
    windows: { window: (_s: string, from: number, to: number) => ({ from, to, canary, stable }) },
    logger: silentLogger,
    tickMs: 3_600_000,
  });
  const auth = testTokens();
  const live: LiveStats = () => ({ windowSeconds: 10, stable: { rps: 90, errorRate: 0, p99: 5, requests: 900 }, canary: { rps: 10, errorRate: 0, p99: 6, requests: 100 } });
  const app: FastifyInstance = buildApp({
    controller,
    metricsText: () => 'sluice_up 1\n',
    live,
    logger: opts.logger ?? silentLogger,
    auth: { tokens: auth.tokens, publicMetrics: opts.publicMetrics },
    history: store,
    now: opts.now,
    stream: opts.stream,
  });
  return { app, controller, store, router, ...auth, apply: (yaml: string, actor = 'setup') => controller.apply(parseRollout(yaml), actor) };
}

function parseRollout(yaml: string): Rollout {
  const { rollouts, errors } = parseRolloutDocuments(yaml, 'test.yaml');
  if (errors.length || rollouts.length !== 1) throw new Error(`test rollout is not valid: ${JSON.stringify(errors)}`);
  return rollouts[0]!;
}

/** A Rollout document (YAML) on a free-looking loopback listener; `gate` ends it with a manual pause. */
export function testRolloutYaml(name: string, port: number, steps = '- setWeight: 10\n        - pause: {}'): string {
  return `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata: {name: ${name}}
spec:
  service:
    listen: 127.0.0.1:${port}
    stable: {upstreams: [http://127.0.0.1:9001]}
    canary: {upstreams: [http://127.0.0.1:9002]}
  strategy:
    canary:
      steps:
        ${steps}
`;
}
