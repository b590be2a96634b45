import { setFlagsFromString } from 'node:v8';

/**
 * Regular expressions in A/B match rules come from documents applied over the
 * API and run on the proxy's hot path against header, cookie and query values
 * a client chooses, so a backtracking pattern would let one request stall the
 * proxy. No structural check stops that: even star height 1 backtracks
 * polynomially (`.*a.*b` takes over a second on 1,000 characters).
 *
 * Sluice therefore compiles them with V8's linear-time engine (the `l` flag,
 * an automaton without backtracking, like RE2), which matches in time
 * proportional to pattern × input whatever the pattern. That engine rejects
 * what it cannot run in linear time — backreferences, lookahead/lookbehind,
 * large counted repetitions — and those patterns are refused when the
 * document is validated. On top: patterns are at most MAX_PATTERN_LENGTH
 * characters and values longer than MAX_REGEX_INPUT never match a regex rule.
 */

export const MAX_PATTERN_LENGTH = 256;
/**
 * Longer values never match a regex rule (exact and prefix rules still apply):
 * the linear engine spends about 50–100 ns per character, so this bounds one
 * regex condition to about 0.1 ms per request.
 */
export const MAX_REGEX_INPUT = 1024;

let linear: boolean | undefined;

/**
 * Whether this runtime accepts the `l` flag. V8 gates it behind
 * --enable-experimental-regexp-engine, which only adds the flag and changes
 * no other expression, so it is switched on here once.
 */
function linearEngine(): boolean {
  if (linear !== undefined) return linear;
  try {
    new RegExp('', 'l');
    linear = true;
  } catch {
    setFlagsFromString('--enable-experimental-regexp-engine');
    try {
      new RegExp('', 'l');
      linear = true;
    } catch {
      linear = false;
    }
  }
  return linear;
}

/** The compiled pattern, or a sentence saying what is wrong with it and what to do. */
export function compileLinearRegex(pattern: string): RegExp | string {
  if (typeof pattern !== 'string' || pattern.length === 0) return 'must be a non-empty regular expression';
  if (pattern.length > MAX_PATTERN_LENGTH) return `must be at most ${MAX_PATTERN_LENGTH} characters long, got ${pattern.length}`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return `is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
  if (!linearEngine()) {
    return 'cannot be used: this Node.js runtime has no linear-time regular expression engine; use an exact or prefix rule instead';
  }
  try {
    return new RegExp(pattern, 'l');
  } catch {
    return 'cannot be matched in linear time (it uses a backreference, lookahead/lookbehind or a large counted repetition such as a{1000}); rewrite it without them, or use an exact or prefix rule';
  }
}

/** Undefined when `pattern` is acceptable; otherwise what is wrong. */
export function linearRegexProblem(pattern: string): string | undefined {
  const r = compileLinearRegex(pattern);
  return typeof r === 'string' ? r : undefined;
}
