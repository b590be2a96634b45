import type { IncomingHttpHeaders } from 'node:http';
import type { MatchRule, StringMatch } from '../routers/routing.js';
import { compileLinearRegex, MAX_REGEX_INPUT } from '../routers/linear-regex.js';
import { cookieValue } from './cookies.js';

/** The parts of a request A/B rules look at. */
export interface MatchInput {
  headers: IncomingHttpHeaders;
  url?: string;
}

/** True when a request satisfies at least one rule. */
export type RequestMatcher = (req: MatchInput) => boolean;

type ValueTest = (value: string) => boolean;

/** A comparison as a function; regexes are compiled on the linear-time engine (validated routes never fail here). */
export function compileCondition(m: StringMatch): ValueTest {
  if ('exact' in m) {
    const x = m.exact;
    return (v) => v === x;
  }
  if ('prefix' in m) {
    const p = m.prefix;
    return (v) => v.startsWith(p);
  }
  const re = compileLinearRegex(m.regex);
  if (typeof re === 'string') throw new Error(`match rule regex ${JSON.stringify(m.regex)} ${re}`);
  // The linear-time engine costs about 50–100 ns per character (the backtracking
  // one a few): remember recent answers, since the values rules test (user
  // agents, tiers, cookies) repeat from request to request.
  const memo = new Map<string, boolean>();
  return (v) => {
    if (v.length > MAX_REGEX_INPUT) return false;
    let hit = memo.get(v);
    if (hit === undefined) {
      hit = re.test(v);
      if (memo.size >= REGEX_MEMO_SIZE) memo.clear();
      memo.set(v, hit);
    }
    return hit;
  };
}

/** Distinct values whose regex answer one condition remembers (cleared when full, so memory stays bounded). */
export const REGEX_MEMO_SIZE = 1024;

interface CompiledRule {
  headers: Array<[string, ValueTest]>;
  cookies: Array<[string, ValueTest]>;
  query: Array<[string, ValueTest]>;
}

function compileRule(rule: MatchRule): CompiledRule {
  const each = (map: Record<string, StringMatch> | undefined): Array<[string, ValueTest]> =>
    Object.entries(map ?? {}).map(([name, m]) => [name, compileCondition(m)]);
  return { headers: each(rule.headers), cookies: each(rule.cookies), query: each(rule.query) };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The query parameters of a request target, parsed once per request and only when a rule needs them. */
function queryOf(url: string | undefined): URLSearchParams | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const hash = url.indexOf('#', q);
  return new URLSearchParams(hash === -1 ? url.slice(q + 1) : url.slice(q + 1, hash));
}

/**
 * Compiles A/B rules into one predicate: a rule holds when every one of its
 * conditions does (a missing header, cookie or parameter fails its condition),
 * and the request matches when any rule holds. Undefined for no rules.
 */
export function compileMatch(rules: readonly MatchRule[] | undefined): RequestMatcher | undefined {
  if (!rules || rules.length === 0) return undefined;
  const compiled = rules.map(compileRule);
  return (req) => {
    let query: URLSearchParams | undefined | null = null;
    for (const rule of compiled) {
      if (holds(rule, req, () => (query === null ? (query = queryOf(req.url)) : query))) return true;
    }
    return false;
  };
}

function holds(rule: CompiledRule, req: MatchInput, query: () => URLSearchParams | undefined): boolean {
  for (const [name, test] of rule.headers) {
    const v = headerValue(req.headers, name);
    if (v === undefined || !test(v)) return false;
  }
  if (rule.cookies.length > 0) {
    const header = req.headers.cookie;
    if (header === undefined) return false;
    for (const [name, test] of rule.cookies) {
      const v = cookieValue(header, name);
      if (v === undefined || !test(v)) return false;
    }
  }
  if (rule.query.length > 0) {
    const params = query();
    if (params === undefined) return false;
    for (const [name, test] of rule.query) {
      const v = params.get(name);
      if (v === null || !test(v)) return false;
    }
  }
  return true;
}
