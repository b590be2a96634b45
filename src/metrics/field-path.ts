/**
 * Field paths into a JSON document, as the http provider's `jsonPath`:
 * dot and bracket notation — `data.ratio`, `data.items[0].value`,
 * `data["p99.9"]` — with an optional leading `$` or `$.` (JSONPath style).
 */

export type PathSegment = string | number;

export type FieldPathResult = { ok: true; segments: PathSegment[] } | { ok: false; message: string };

const NAME = /[^.[\]"'\s]+/y;
const INDEX = /\[(\d+)\]/y;
const QUOTED = /\[(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\]/y;

/** Parses a field path; never throws. */
export function parseFieldPath(text: string): FieldPathResult {
  let rest = text.trim();
  let offset = text.length - text.trimStart().length;
  const prefix = rest.startsWith('$.') ? 2 : rest.startsWith('$') ? 1 : 0;
  rest = rest.slice(prefix);
  offset += prefix;
  if (rest === '') return fail(text, 0, 'is empty; name at least one field, such as data.ratio');
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < rest.length) {
    if (segments.length > 0 && rest[i] === '.') {
      i++;
      if (i >= rest.length) return fail(text, offset + i, 'ends with "."; name the field after it');
    }
    const m = match(NAME, rest, i) ?? match(INDEX, rest, i) ?? match(QUOTED, rest, i);
    if (!m) return fail(text, offset + i, `has an unexpected ${JSON.stringify(rest[i])}`);
    if (m.re === INDEX) segments.push(Number(m.groups[1]));
    else if (m.re === QUOTED) segments.push((m.groups[1] ?? m.groups[2]!).replace(/\\(.)/g, '$1'));
    else segments.push(m.groups[0]!);
    i = m.end;
    if (i < rest.length && rest[i] !== '.' && rest[i] !== '[') return fail(text, offset + i, `has an unexpected ${JSON.stringify(rest[i])}`);
  }
  return { ok: true, segments };
}

export type LookupResult = { found: true; value: unknown } | { found: false; message: string };

/** The value at `segments` in `doc`, or a sentence saying where the path stops matching. */
export function lookup(doc: unknown, segments: readonly PathSegment[]): LookupResult {
  let cur = doc;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const at = i === 0 ? 'the response' : formatFieldPath(segments.slice(0, i));
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return { found: false, message: `${at} is ${kindOf(cur)}, not a list, so it has no [${seg}]` };
      if (seg >= cur.length) return { found: false, message: `${at} has ${cur.length} item${cur.length === 1 ? '' : 's'}, so it has no [${seg}]` };
      cur = cur[seg];
    } else {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) {
        return { found: false, message: `${at} is ${kindOf(cur)}, not an object, so it has no field "${seg}"` };
      }
      if (!Object.hasOwn(cur, seg)) {
        const keys = Object.keys(cur);
        const some = keys.slice(0, 8).join(', ') + (keys.length > 8 ? ', …' : '');
        return { found: false, message: `${at} has no field "${seg}"${keys.length ? ` (it has ${some})` : ' (it is empty)'}` };
      }
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return { found: true, value: cur };
}

/** `data.items[0]["p99.9"]`: the canonical spelling of a path, for messages. */
export function formatFieldPath(segments: readonly PathSegment[]): string {
  return segments
    .map((s, i) => {
      if (typeof s === 'number') return `[${s}]`;
      if (/^[A-Za-z_$][\w$-]*$/.test(s)) return i === 0 ? s : `.${s}`;
      return `[${JSON.stringify(s)}]`;
    })
    .join('');
}

/** "a string", "null", "a list", … for messages about JSON values. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  return `a ${typeof value} (${String(value)})`;
}

function match(re: RegExp, text: string, at: number): { re: RegExp; groups: RegExpExecArray; end: number } | undefined {
  re.lastIndex = at;
  const groups = re.exec(text);
  return groups ? { re, groups, end: re.lastIndex } : undefined;
}

function fail(text: string, column: number, problem: string): FieldPathResult {
  return { ok: false, message: `field path ${JSON.stringify(text)} ${problem} (at character ${column + 1}); write it like data.ratio or data.items[0].value` };
}
