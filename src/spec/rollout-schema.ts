import { hostPort, httpOrigin, httpOriginOf } from './address-fields.js';
import { isMapping, list, object, oneKeyOf, optional, record, required, withDefault, type Infer, type ObjectOut, type Report } from './schema.js';
import { boolean, duration, integer, number, oneOf, string } from './schema-scalars.js';
import { metric } from './metric-schema.js';
import { abTest, checkStrategy, matchRules, mirror, stickiness } from './routing-schema.js';
import { hooks, notifications } from './hook-schema.js';
import { postPromotionAnalysis, progressDeadline, undoWindow } from './lifecycle-schema.js';
import { blueGreen } from './blue-green-schema.js';
import { checkFlagTarget, flagTarget } from './flag-target-schema.js';
import { API_VERSION, DEFAULT_CONSECUTIVE_ERROR_LIMIT } from './types.js';

/**
 * The Rollout document as users write it. The validator, the defaults and the
 * published JSON Schema all come from this one definition; rollout-normalise.ts
 * turns the validated input into the `Rollout` that the rest of Sluice uses.
 */

const LABEL_PART = '[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?';

const metadata = object(
  {
    name: required(string({
      description: "the rollout's name, unique per server: lowercase letters, digits and '-', 1–63 characters",
      expected: 'a DNS label of lowercase letters, digits and "-", starting and ending with a letter or digit, such as "checkout"',
      pattern: /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/,
      maxLength: 63,
    })),
    labels: optional(record(
      string({ description: 'label key', expected: 'a label key such as "team" or "example.com/tier"', pattern: new RegExp(`^(?:[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?/)?${LABEL_PART}$`), maxLength: 316 }),
      string({ description: 'label value', expected: 'a label value of letters, digits, "-", "_" and "."', pattern: new RegExp(`^(?:${LABEL_PART})?$`), maxLength: 63, allowEmpty: true }),
      'free-form labels for selecting and grouping rollouts',
    )),
  },
  { description: 'identifies the rollout' },
);

const version = (which: string, example: string) => object(
  {
    upstreams: required(list(httpOrigin(`base URL of one ${which} instance`, example), {
      description: `the ${which} instances (http://host:port), balanced round-robin`,
      minItems: 1,
      unique: { key: httpOriginOf, what: 'upstream' },
    })),
  },
  { description: `the ${which} version` },
);

const service = object(
  {
    listen: required(hostPort('host:port the embedded proxy listens on for this service', '127.0.0.1:8080')),
    stable: required(version('stable', 'http://127.0.0.1:9001')),
    canary: required(version('canary', 'http://127.0.0.1:9002')),
    timeouts: optional(object(
      {
        connect: optional(duration('an upstream instance must accept a connection within this, else 504 (default 5s)')),
        headers: optional(duration('an upstream must send its response headers within this, else 504 (default 30s)')),
        idle: optional(duration('longest silence from either side while a request is in flight (default 60s)')),
        clientHeaders: optional(duration('a client must send its complete request headers within this, else it is cut off (default 10s)')),
      },
      { description: "the embedded proxy's timeouts for this service" },
    )),
    tls: optional(object(
      {
        certFile: required(string({ description: 'PEM certificate (chain) file', expected: 'a file path such as /etc/sluice/tls/cert.pem' })),
        keyFile: required(string({ description: "PEM file with the certificate's private key", expected: 'a file path such as /etc/sluice/tls/key.pem' })),
      },
      { description: 'terminate TLS on listen with this certificate and key; the files are reloaded when they change' },
    )),
    retryToStable: optional(boolean('retry idempotent requests without a body on stable when a canary instance refused the connection (still counted as a canary error)')),
    stickiness: optional(stickiness),
  },
  { description: 'where traffic arrives and the two versions it is split between' },
);

const weight = (description: string, min: number) => integer({ description, min, max: 100 });

const step = oneKeyOf(
  {
    setWeight: weight('percentage of traffic sent to the canary', 0),
    pause: object(
      { duration: optional(duration('how long to wait; omit it for a manual gate that waits for `sluice promote`')) },
      { description: 'wait for a duration, or until promoted by hand when no duration is given', nullAsEmpty: true },
    ),
    analysis: object(
      { checks: withDefault(integer({ description: 'analysis checks that must pass (a failed check starts the count again)', min: 1 }), 1) },
      { description: 'wait until this many analysis checks have passed at the current weight, with no failed check since', nullAsEmpty: true },
    ),
  },
  'one step: exactly one of setWeight, pause or analysis',
);

const SHORTHAND = ['interval', 'stepWeight', 'stepWeights', 'maxWeight'] as const;

const canaryFields = {
  steps: optional(list(step, {
    description: 'explicit steps, run in order (Argo Rollouts style)',
    minItems: 1,
    check: requireTraffic,
  })),
  interval: optional(duration('shorthand: how long each weight is held')),
  stepWeight: optional(weight('shorthand: weight increment, up to maxWeight', 1)),
  stepWeights: optional(list(weight('a canary weight', 1), {
    description: 'shorthand: the weights to go through, strictly increasing',
    minItems: 1,
    check: strictlyIncreasing,
  })),
  maxWeight: optional(weight('shorthand: the last weight before promotion (default 50 with stepWeight, the last stepWeights entry otherwise)', 1)),
  match: optional(matchRules),
  mirror: optional(mirror),
  postPromotionAnalysis: optional(postPromotionAnalysis),
};

const canary = object(
  canaryFields,
  {
    description: 'the canary strategy: explicit steps, or the Flagger shorthand (interval with stepWeight or stepWeights)',
    check: checkCanary,
    jsonSchema: {
      oneOf: [
        { required: ['steps'], not: { anyOf: SHORTHAND.map((k) => ({ required: [k] })) } },
        { required: ['interval'], not: { required: ['steps'] }, oneOf: [{ required: ['stepWeight'] }, { required: ['stepWeights'] }] },
      ],
    },
  },
);

const judge = object(
  {
    alpha: withDefault(number({ description: 'chance of rolling back a canary that is no worse than stable, however often the judge looks', min: 0.0001, max: 0.2 }), 0.01),
    minEffect: withDefault(number({ description: 'smallest relative increase of the error rate worth acting on: 1 = twice stable\'s rate', min: 0.05, max: 100 }), 1),
    tolerance: withDefault(number({ description: 'relative increase still treated as "no worse" when deciding to roll back; below minEffect', min: 0, max: 100 }), 0),
    minStepEvents: withDefault(integer({ description: 'errors (either version) a step must have seen before the weight may grow', min: 0 }), 10),
    maxWait: withDefault(duration('how long a step may run past its duration while evidence is lacking; then onInconclusive applies'), '5m'),
    latency: optional(object(
      {
        quantile: withDefault(number({ description: "stable's latency quantile that defines a slow request", min: 0.5, max: 0.999 }), 0.99),
        warmupRequests: withDefault(integer({ description: 'stable requests measured before the slow-request threshold is fixed', min: 50 }), 1000),
      },
      { description: 'also compare latency: the share of canary requests slower than stable\'s quantile, tested like errors', nullAsEmpty: true },
    )),
  },
  { description: "the sequential judge: canary against stable on the proxy's own counts, checked continuously, valid at every look", nullAsEmpty: true, check: checkJudge },
);

const analysis = object(
  {
    interval: withDefault(duration('how often a check runs'), '30s'),
    failureLimit: withDefault(integer({ description: 'failed checks tolerated; one more fails the rollout', min: 0 }), 1),
    inconclusiveLimit: withDefault(integer({ description: 'inconclusive checks in a row tolerated before onInconclusive applies', min: 0 }), 3),
    minRequests: withDefault(integer({ description: 'canary requests a check needs to count; fewer is inconclusive', min: 1 }), 20),
    consecutiveErrorLimit: withDefault(integer({ description: 'provider errors in a row tolerated on one metric; one more fails the rollout', min: 0 }), DEFAULT_CONSECUTIVE_ERROR_LIMIT),
    metrics: optional(list(metric, {
      description: 'the threshold checks, each on a different metric',
      minItems: 1,
      unique: { key: (m) => (isMapping(m) && typeof m.name === 'string' ? m.name : undefined), what: 'metric', at: ['name'] },
    })),
    judge: optional(judge),
  },
  {
    description: 'how the canary is judged: threshold checks (metrics), the sequential judge, or both; without it, steps advance on time and manual gates alone',
    check: checkAnalysis,
    jsonSchema: { anyOf: [{ required: ['metrics'] }, { required: ['judge'] }] },
  },
);

const specFields = {
  service: optional(service),
  flag: optional(flagTarget),
  strategy: required(object(
    { canary: optional(canary), abTest: optional(abTest), blueGreen: optional(blueGreen) },
    {
      description: 'how traffic moves to the canary: weighted steps (canary), an A/B test on match rules (abTest), or a preview then all at once (blueGreen)',
      jsonSchema: { oneOf: [{ required: ['canary'] }, { required: ['abTest'] }, { required: ['blueGreen'] }] },
    },
  )),
  analysis: optional(analysis),
  onFailure: withDefault(oneOf(['rollback'], 'what a failed analysis does'), 'rollback'),
  onInconclusive: withDefault(oneOf(['pause', 'rollback'], 'what happens after too many inconclusive checks'), 'pause'),
  hooks: optional(hooks),
  notifications: optional(notifications),
  undoWindow: optional(undoWindow),
  progressDeadline: optional(progressDeadline),
};

const spec = object(
  specFields,
  { description: 'the desired rollout', check: checkSpec, jsonSchema: { oneOf: [{ required: ['service'] }, { required: ['flag'] }] } },
);

/** The Rollout format definition (input form). */
export const rolloutSchema = object(
  {
    apiVersion: required(oneOf<typeof API_VERSION>([API_VERSION], 'format version')),
    kind: required(oneOf(['Rollout'], 'document kind')),
    metadata: required(metadata),
    spec: required(spec),
  },
  { description: 'A Sluice Rollout: moves traffic from a stable to a canary version step by step, judged on live metrics.' },
);

export type RolloutInput = Infer<typeof rolloutSchema>;
export type CanaryInput = ObjectOut<typeof canaryFields>;

function requireTraffic(items: ReadonlyArray<Infer<typeof step> | undefined>, report: Report): void {
  if (items.length === 0 || items.includes(undefined)) return;
  if (!items.some((s) => s !== undefined && 'setWeight' in s && s.setWeight > 0)) {
    report([], 'value', 'must contain at least one setWeight above 0, otherwise the canary never receives traffic');
  }
}

function strictlyIncreasing(items: ReadonlyArray<number | undefined>, report: Report): void {
  for (let i = 1; i < items.length; i++) {
    const prev = items[i - 1];
    const cur = items[i];
    if (prev !== undefined && cur !== undefined && cur <= prev) {
      report([i], 'value', `must be greater than the previous weight (${prev}), got ${cur}; stepWeights must be strictly increasing`);
    }
  }
}

function checkCanary(value: Partial<CanaryInput>, report: Report, raw: Readonly<Record<string, unknown>>): void {
  const shorthand = SHORTHAND.filter((k) => raw[k] !== undefined);
  if (raw.steps !== undefined) {
    for (const k of shorthand) report([k], 'key', 'cannot be used together with "steps"; use either explicit steps or the shorthand');
    return;
  }
  if (shorthand.length === 0) {
    report([], 'value', 'needs either "steps" or the shorthand ("interval" with "stepWeight" or "stepWeights")');
    return;
  }
  if (raw.interval === undefined) report(['interval'], 'parent', 'missing required field (the shorthand needs how long each weight is held, e.g. 1m)');
  if (raw.stepWeight !== undefined && raw.stepWeights !== undefined) {
    report(['stepWeights'], 'key', 'cannot be used together with "stepWeight"; use one of them');
  } else if (raw.stepWeight === undefined && raw.stepWeights === undefined) {
    report(['stepWeight'], 'parent', 'missing required field (the shorthand needs "stepWeight" with "maxWeight", or "stepWeights")');
  }
  const { stepWeight, stepWeights, maxWeight } = value;
  if (maxWeight === undefined) return;
  if (stepWeight !== undefined && stepWeight > maxWeight) report(['stepWeight'], 'value', `must not exceed maxWeight (${maxWeight}), got ${stepWeight}`);
  stepWeights?.forEach((w, i) => {
    if (w > maxWeight) report(['stepWeights', i], 'value', `is above maxWeight (${maxWeight}), got ${w}; remove it or raise maxWeight`);
  });
}

function checkAnalysis(_value: unknown, report: Report, raw: Readonly<Record<string, unknown>>): void {
  if (raw.metrics === undefined && raw.judge === undefined) {
    report([], 'value', 'needs "metrics" (threshold checks), "judge" (the sequential judge) or both');
  }
}

function checkJudge(value: { minEffect?: number; tolerance?: number }, report: Report): void {
  if (value.minEffect !== undefined && value.tolerance !== undefined && value.tolerance >= value.minEffect) {
    report(['tolerance'], 'value', `must be below minEffect (${value.minEffect}), got ${value.tolerance}`);
  }
}

function checkSpec(_value: Partial<ObjectOut<typeof specFields>>, report: Report, raw: Readonly<Record<string, unknown>>): void {
  checkStrategy(raw, report);
  checkFlagTarget(raw, report);
  if (raw.analysis === undefined) {
    const strategy = raw.strategy;
    const canaryRaw = isMapping(strategy) ? strategy.canary : undefined;
    const steps = isMapping(canaryRaw) ? canaryRaw.steps : undefined;
    if (Array.isArray(steps)) {
      steps.forEach((s, i) => {
        if (isMapping(s) && s.analysis !== undefined) {
          report(['strategy', 'canary', 'steps', i, 'analysis'], 'key', 'needs an analysis section (spec.analysis) that says which metrics to check; add one or remove this step');
        }
      });
    }
  }
  // From the raw input, so an overlap is reported even when other upstreams are invalid.
  const upstreams = (version: string): unknown[] => {
    const svc = raw.service;
    const v = isMapping(svc) ? svc[version] : undefined;
    return isMapping(v) && Array.isArray(v.upstreams) ? v.upstreams : [];
  };
  const stable = new Set(upstreams('stable').map(httpOriginOf));
  upstreams('canary').forEach((u, i) => {
    const origin = httpOriginOf(u);
    if (origin !== undefined && stable.has(origin)) {
      report(['service', 'canary', 'upstreams', i], 'value', `${origin} is also a stable upstream; stable and canary must be different instances`);
    }
  });
}
