import { isMap, isScalar, parseAllDocuments } from 'yaml';
import { parseFlagSetDocuments } from './flagset-parse.js';
import type { FlagSet } from './flagset-types.js';
import { parseRolloutDocuments } from './parse-rollout.js';
import type { SpecError } from './spec-error.js';
import type { Rollout } from './types.js';

/**
 * Parses a YAML stream that may hold Rollout and FlagSet documents, each
 * with its own format, dispatching on `kind`. Documents of the other kind are
 * blanked out (spaces keep every line and column), so errors point into the
 * original file. Documents with no or another kind are checked as Rollouts,
 * which reports what `kind` should be.
 */
export function parseMixedDocuments(text: string, file: string): { rollouts: Rollout[]; flagSets: FlagSet[]; errors: SpecError[] } {
  const spans: Array<{ start: number; end: number; flagSet: boolean }> = [];
  for (const doc of parseAllDocuments(text)) {
    const contents = doc.contents;
    const kind: unknown = isMap(contents) ? contents.get('kind', true) : undefined;
    const flagSet = isScalar(kind) && kind.value === 'FlagSet';
    const [start, , end] = doc.range;
    spans.push({ start, end, flagSet });
  }
  if (!spans.some((s) => s.flagSet)) return { ...parseRolloutDocuments(text, file), flagSets: [] };
  const only = (flagSet: boolean) => {
    let out = text;
    for (const s of spans) if (s.flagSet !== flagSet) out = out.slice(0, s.start) + out.slice(s.start, s.end).replace(/[^\n]/g, ' ') + out.slice(s.end);
    return out;
  };
  const f = parseFlagSetDocuments(only(true), file);
  const hasRollouts = spans.some((s) => !s.flagSet);
  const r = hasRollouts ? parseRolloutDocuments(only(false), file) : { rollouts: [], errors: [] };
  const errors = [...r.errors, ...f.errors].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { rollouts: r.rollouts, flagSets: f.flagSets, errors };
}
