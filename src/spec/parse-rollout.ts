import { createHash } from 'node:crypto';
import { placeIssue, validateData, validateYaml } from './documents.js';
import { normaliseRollout } from './rollout-normalise.js';
import { rolloutSchema } from './rollout-schema.js';
import type { SpecError } from './spec-error.js';
import { API_VERSION, type Rollout } from './types.js';

const EXPECTED = `a Rollout (apiVersion: ${API_VERSION}, kind: Rollout)`;

/**
 * Parses a YAML file holding one or more Rollout documents (separated by
 * `---`). Every problem in every document is reported, each with file, line,
 * column and field path; only documents without problems become rollouts.
 */
export function parseRolloutDocuments(text: string, file: string): { rollouts: Rollout[]; errors: SpecError[] } {
  const { documents, errors } = validateYaml(rolloutSchema, text, file, EXPECTED);
  const rollouts: Rollout[] = [];
  const seen = new Map<string, number>();
  for (const doc of documents) {
    if (doc.value === undefined) continue;
    const name = doc.value.metadata.name;
    const where = placeIssue({ path: ['metadata', 'name'], at: 'value', message: '' }, file, doc.source);
    const first = seen.get(name);
    if (first !== undefined) {
      errors.push({ ...where, message: `rollout "${name}" is already defined in this file (line ${first}); names must be unique` });
      continue;
    }
    seen.set(name, where.line ?? 0);
    rollouts.push({ ...normaliseRollout(doc.value), digest: digestOf(doc.source.value) });
  }
  return { rollouts, errors };
}

/**
 * Validates a Rollout given as plain data, e.g. a JSON request body. Errors
 * carry field paths (no positions); `source` names the input in them.
 */
export function validateRollout(value: unknown, source?: string): { rollout?: Rollout; errors: SpecError[] } {
  const result = validateData(rolloutSchema, value, source);
  return result.value === undefined ? { errors: result.errors } : { rollout: { ...normaliseRollout(result.value), digest: digestOf(value) }, errors: [] };
}

/**
 * A digest of the document as written (before defaults), so applying the same
 * file again is recognised even after an upgrade changes the defaults.
 */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
