import type { AnonymousCookie, MatchRule, StringMatch } from '../routers/routing.js';
import { MAX_MATCH_RULES } from '../routers/routing.js';
import { linearRegexProblem, MAX_PATTERN_LENGTH } from '../routers/linear-regex.js';
import { INVALID, isMapping, list, object, oneKeyOf, optional, record, required, withDefault, type Report, type Schema } from './schema.js';
import { duration, integer, number, string } from './schema-scalars.js';
import { describeValue } from './spec-error.js';

/**
 * The routing parts of a Rollout as users write them: `spec.service.stickiness`,
 * A/B `match` rules, `strategy.canary.mirror` and the A/B strategy
 * `strategy.abTest`. Nodes normalise as they parse (header names lowercase,
 * `anonymousCookie: true` expanded), so their output is what `Routes` carries.
 */

export const DEFAULT_ANONYMOUS_COOKIE: AnonymousCookie = { name: 'sluice-key', maxAge: 30 * 24 * 3_600_000 };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const headerName = (description: string) => string({
  description,
  expected: 'an HTTP header name such as x-user-id',
  pattern: TOKEN,
  maxLength: 256,
  normalise: (v) => v.toLowerCase(),
});

const cookieName = (description: string) => string({
  description,
  expected: 'a cookie name (letters, digits and !#$%&\'*+.^_`|~-) such as uid',
  pattern: TOKEN,
  maxLength: 256,
});

const condition: Schema<StringMatch> = oneKeyOf(
  {
    exact: string({ description: 'the value must equal this', expected: 'a string', allowEmpty: true, maxLength: 4096 }),
    prefix: string({ description: 'the value must start with this', expected: 'a string', allowEmpty: true, maxLength: 4096 }),
    regex: string({
      description: `the value must match this regular expression (at most ${MAX_PATTERN_LENGTH} characters; matched in linear time, so no backreferences or lookaround)`,
      expected: 'a regular expression such as ^v2\\.',
      check: (v) => linearRegexProblem(v),
    }),
  },
  'how the value is compared: exactly one of exact, prefix or regex',
);

/** A record whose keys are lowercased (HTTP header names); two keys that differ only in case are an error. */
function lowercaseKeys<T>(inner: Schema<Record<string, T>>): Schema<Record<string, T>> {
  return {
    description: inner.description,
    parse(value, path, issues) {
      const parsed = inner.parse(value, path, issues);
      if (parsed === INVALID) return INVALID;
      const out: Record<string, T> = {};
      for (const [k, v] of Object.entries(parsed)) {
        const lower = k.toLowerCase();
        if (Object.hasOwn(out, lower)) {
          issues.push({ path: [...path, k], at: 'key', message: `repeats header "${lower}" (header names are case-insensitive); give each header once` });
          return INVALID;
        }
        Object.defineProperty(out, lower, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    },
    toJsonSchema: () => inner.toJsonSchema(),
  };
}

const rule = object(
  {
    headers: optional(lowercaseKeys(record(headerName('header name'), condition, 'request headers and what each must hold'))),
    cookies: optional(record(cookieName('cookie name'), condition, 'cookies and what each must hold')),
    query: optional(record(
      string({ description: 'query parameter name', expected: 'a query parameter name', maxLength: 256 }),
      condition,
      'query parameters (first value, percent-decoded) and what each must hold',
    )),
  },
  { description: 'one A/B rule: every condition in it must hold', check: checkRule, jsonSchema: { minProperties: 1 } },
);

function checkRule(_value: Partial<MatchRule>, report: Report, raw: Readonly<Record<string, unknown>>): void {
  const sources = ['headers', 'cookies', 'query'];
  const written = sources.filter((k) => raw[k] !== undefined);
  // An unknown key is already reported with a suggestion; "no condition" would only repeat it.
  if (written.length === 0 && Object.keys(raw).every((k) => sources.includes(k))) {
    report([], 'value', 'needs at least one condition under headers, cookies or query, e.g. headers: {x-canary: {exact: "true"}}');
  }
  for (const k of written) {
    const v = raw[k];
    if (isMapping(v) && Object.keys(v).length === 0) report([k], 'value', `must name at least one ${k === 'headers' ? 'header' : k === 'cookies' ? 'cookie' : 'query parameter'}`);
  }
}

/** A/B rules: a request that satisfies any rule goes to the canary. */
export const matchRules = list(rule, {
  description: 'A/B rules: a request satisfying any rule goes to the canary whatever the weight (all conditions of one rule must hold)',
  minItems: 1,
  check: (items, report) => {
    if (items.length > MAX_MATCH_RULES) report([], 'value', `must have at most ${MAX_MATCH_RULES} rules, got ${items.length}`);
  },
});

const anonymousCookieObject = object(
  {
    name: withDefault(cookieName('name of the cookie holding the random key'), DEFAULT_ANONYMOUS_COOKIE.name),
    maxAge: withDefault(duration('how long the browser keeps the cookie'), '720h'),
  },
  { description: 'the cookie set on requests without a key', nullAsEmpty: true },
);

/** `true` (defaults), `false`/absent (none) or `{name, maxAge}`. */
const anonymousCookie: Schema<AnonymousCookie | false> = {
  description: 'give requests without a key a cookie holding a random key, so an anonymous user keeps one version: true, or {name, maxAge}',
  parse(value, path, issues) {
    if (value === true) return { ...DEFAULT_ANONYMOUS_COOKIE };
    if (value === false) return false;
    if (value !== null && !isMapping(value)) {
      issues.push({ path, at: 'value', message: `must be true, false or {name, maxAge}, got ${describeValue(value)}` });
      return INVALID;
    }
    const parsed = anonymousCookieObject.parse(value, path, issues);
    if (parsed === INVALID) return INVALID;
    if (parsed.maxAge < 1000) {
      issues.push({ path: [...path, 'maxAge'], at: 'value', message: 'must be at least 1s' });
      return INVALID;
    }
    return parsed;
  },
  toJsonSchema: () => ({ description: anonymousCookie.description, anyOf: [{ type: 'boolean' }, anonymousCookieObject.toJsonSchema()] }),
};

const stickinessObject = object(
  {
    header: optional(headerName('request header holding the key, e.g. x-user-id')),
    cookie: optional(cookieName('cookie holding the key, e.g. uid')),
    anonymousCookie: optional(anonymousCookie),
  },
  {
    description: 'sticky assignment: the key (a header or a cookie) is hashed against the weight, so a user keeps a version and raising the weight only moves users from stable to canary',
    check: (_value, report, raw) => {
      if (raw.header !== undefined && raw.cookie !== undefined) report(['cookie'], 'key', 'cannot be used together with "header"; the key comes from one of them');
      if (raw.header === undefined && raw.cookie === undefined && (raw.anonymousCookie === undefined || raw.anonymousCookie === false)) {
        report([], 'value', 'needs "header" or "cookie" (where the key is), or "anonymousCookie: true"');
      }
    },
  },
);

/** `spec.service.stickiness`, with `anonymousCookie: false` dropped. */
export const stickiness: Schema<{ header?: string; cookie?: string; anonymousCookie?: AnonymousCookie }> = {
  description: stickinessObject.description,
  parse(value, path, issues) {
    const parsed = stickinessObject.parse(value, path, issues);
    if (parsed === INVALID) return INVALID;
    const { anonymousCookie: anon, ...rest } = parsed;
    return anon ? { ...rest, anonymousCookie: anon } : rest;
  },
  toJsonSchema: () => stickinessObject.toJsonSchema(),
};

/** `strategy.canary.mirror`. */
export const mirror = object(
  {
    percent: required(number({ description: "share (percent) of stable's requests also sent to the canary; the canary's answers are discarded", min: 0.01, max: 100 })),
  },
  { description: "mirroring: copy a share of the requests stable answers to the canary while it is rolled out; only requests without a body are copied" },
);

/** `strategy.abTest`: only matching requests reach the canary, for a fixed number of checks. */
export const abTest = object(
  {
    match: required(matchRules),
    iterations: required(integer({ description: 'analysis checks that must pass on the matched traffic before promotion (a failed check starts the count again)', min: 1 })),
    interval: optional(duration('how often a check runs (default: spec.analysis.interval)')),
  },
  { description: 'the A/B strategy: requests matching a rule go to the canary, all others to stable; after `iterations` passing checks the canary is promoted, a failure rolls it back' },
);

/** Spec-wide rules for the A/B strategy, from the raw input. */
export function checkStrategy(raw: Readonly<Record<string, unknown>>, report: Report): void {
  const strategy = raw.strategy;
  if (!isMapping(strategy)) return;
  const kinds = ['canary', 'abTest', 'blueGreen'].filter((k) => strategy[k] !== undefined);
  if (kinds.length === 0) report(['strategy'], 'value', 'needs "canary" (weighted steps), "abTest" (A/B test on match rules) or "blueGreen" (a preview, then all traffic at once)');
  for (const extra of kinds.slice(1)) report(['strategy', extra], 'key', `cannot be used together with "${kinds[0]}"; choose one strategy`);
  const bg = strategy.blueGreen;
  if (isMapping(bg) && bg.prePromotionAnalysis !== undefined && raw.analysis === undefined) {
    report(['strategy', 'blueGreen', 'prePromotionAnalysis'], 'key', 'needs an analysis section (spec.analysis) to judge the preview traffic; add one');
  }
  const service = raw.service;
  if (isMapping(bg) && bg.previewListen !== undefined && isMapping(service) && bg.previewListen === service.listen) {
    report(['strategy', 'blueGreen', 'previewListen'], 'value', `is also spec.service.listen (${String(service.listen)}); the preview needs an address of its own`);
  }
  if (strategy.abTest !== undefined && raw.analysis === undefined) {
    report(['strategy', 'abTest'], 'key', 'needs an analysis section (spec.analysis) to judge the matched traffic; add one');
  }
}
