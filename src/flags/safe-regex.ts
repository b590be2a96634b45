/**
 * Regular expressions in flag conditions come from documents applied over the
 * API and run on every evaluation, so a pattern that backtracks
 * catastrophically would stall the server and every SDK. Patterns are checked
 * when the document is validated: length-capped, no backreferences or
 * lookaround, and no repeated group that itself contains a quantifier or an
 * alternation (`(a+)+`, `(a|aa)*` — the shapes behind exponential
 * backtracking). Inputs longer than MAX_REGEX_INPUT never match.
 */

export const MAX_REGEX_LENGTH = 200;
export const MAX_REGEX_INPUT = 1000;

interface Frame {
  risky: boolean;
}

/** Undefined when the pattern is acceptable, otherwise what is wrong and what to do. */
export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) return `must be at most ${MAX_REGEX_LENGTH} characters long, got ${pattern.length}`;
  try {
    new RegExp(pattern, 'u');
  } catch (err) {
    return `is not a valid regular expression (${(err as Error).message})`;
  }
  const stack: Frame[] = [{ risky: false }];
  let lastGroup: Frame | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const closedGroup = lastGroup;
    lastGroup = undefined;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<')) return 'must not use backreferences; they can make matching take exponential time';
      i++;
      continue;
    }
    if (c === '[') {
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      continue;
    }
    if (c === '(') {
      if (/^\(\?(?:=|!|<=|<!)/.test(pattern.slice(i, i + 4))) return 'must not use lookahead or lookbehind; express the condition with separate rules instead';
      stack.push({ risky: false });
      continue;
    }
    if (c === ')') {
      const frame = stack.pop()!;
      lastGroup = frame;
      stack[stack.length - 1].risky ||= frame.risky;
      continue;
    }
    if (c === '|') {
      stack[stack.length - 1].risky = true;
      continue;
    }
    const quantifier = /^(?:[*+?]|\{(\d+)(,(\d*))?\})/.exec(pattern.slice(i));
    if (!quantifier) continue;
    const [text, min, comma, max] = quantifier;
    const repeats = text === '*' || text === '+' || (min !== undefined && (comma !== undefined ? max === '' || Number(max) > 1 : Number(min) > 1));
    if (repeats && closedGroup?.risky) {
      return `repeats a group that contains a quantifier or "|" ("${pattern.slice(0, i + text.length)}"), which can make matching take exponential time; simplify the pattern`;
    }
    stack[stack.length - 1].risky = true;
    i += text.length - 1;
    if (pattern[i + 1] === '?') i++;
  }
  return undefined;
}

/** A test for a checked pattern; inputs over MAX_REGEX_INPUT characters never match. */
export function compileRegex(pattern: string): (value: string) => boolean {
  const re = new RegExp(pattern, 'u');
  return (value) => value.length <= MAX_REGEX_INPUT && re.test(value);
}
