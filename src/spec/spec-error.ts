/**
 * A problem found in a document, with enough context for a person to fix it:
 * the file and position (when the input was YAML text), the field path and a
 * sentence saying what is wrong and what was expected.
 */
export interface SpecError {
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Field path such as `spec.strategy.canary.steps[2].setWeight`; empty for whole-document problems. */
  path: string;
  message: string;
}

/** One segment of a field path: a mapping key or a list index. */
export type PathSegment = string | number;

/**
 * Where in the source an issue points: at the key of the field (unknown
 * fields), at its value (bad values) or at the mapping that should have held
 * it (missing fields).
 */
export type IssueAnchor = 'key' | 'value' | 'parent';

/** A validation finding before it is placed in a file. */
export interface Issue {
  path: PathSegment[];
  at: IssueAnchor;
  message: string;
}

/** `file:line:column: path: message`, leaving out the parts that are unknown. */
export function formatSpecError(e: SpecError): string {
  let location = e.file ?? '';
  if (e.line !== undefined) {
    location += `${location ? ':' : ''}${e.line}`;
    if (e.column !== undefined) location += `:${e.column}`;
  }
  const parts = [location, e.path].filter((p) => p !== '');
  return [...parts, e.message].join(': ');
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** Renders a path as `a.b[2].c`; keys that are not identifiers are quoted (`labels["app.kubernetes.io/name"]`). */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Describes a received value for an error message: `150`, `"abc"`, `a list`, `a mapping`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
