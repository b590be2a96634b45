import { compileLinearRegex, linearRegexProblem } from '../routers/linear-regex.js';

/**
 * Regular expressions in flag conditions come from documents applied over the
 * API and run on every evaluation, against attribute values callers choose.
 * They are compiled with V8's linear-time engine (see routers/linear-regex.ts,
 * shared with the proxy's match rules): matching takes time proportional to
 * pattern × input whatever the pattern, and what that engine cannot run
 * (backreferences, lookaround) is refused when the document is validated.
 * Inputs longer than MAX_REGEX_INPUT characters never match.
 */

export const MAX_REGEX_INPUT = 1000;

/** Undefined when the pattern is acceptable, otherwise what is wrong and what to do. */
export function regexProblem(pattern: string): string | undefined {
  return linearRegexProblem(pattern);
}

/** A test for a validated pattern; inputs over MAX_REGEX_INPUT characters never match. */
export function compileRegex(pattern: string): (value: string) => boolean {
  const re = compileLinearRegex(pattern);
  if (typeof re === 'string') return () => false;
  return (value) => value.length <= MAX_REGEX_INPUT && re.test(value);
}
