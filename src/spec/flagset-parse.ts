import { placeIssue, validateData, validateYaml } from './documents.js';
import { flagSetSchema, flagTypeOf, type FlagSetInput } from './flagset-schema.js';
import type { FlagDefinition, FlagSet } from './flagset-types.js';
import type { JsonSchema } from './schema.js';
import type { SpecError } from './spec-error.js';
import { API_VERSION } from './types.js';

const EXPECTED = `a FlagSet (apiVersion: ${API_VERSION}, kind: FlagSet)`;

/**
 * Parses a YAML file holding one or more FlagSet documents. Every problem is
 * reported with file, line, column and field path; only documents without
 * problems become flag sets. A set named twice for one environment is an error.
 */
export function parseFlagSetDocuments(text: string, file: string): { flagSets: FlagSet[]; errors: SpecError[] } {
  const { documents, errors } = validateYaml(flagSetSchema, text, file, EXPECTED);
  const flagSets: FlagSet[] = [];
  const seen = new Map<string, number>();
  for (const doc of documents) {
    if (doc.value === undefined) continue;
    const { name, environment } = doc.value.metadata;
    const where = placeIssue({ path: ['metadata', 'name'], at: 'value', message: '' }, file, doc.source);
    const id = `${environment}/${name}`;
    const first = seen.get(id);
    if (first !== undefined) {
      errors.push({ ...where, message: `flag set "${name}" for environment "${environment}" is already defined in this file (line ${first}); names must be unique per environment` });
      continue;
    }
    seen.set(id, where.line ?? 0);
    flagSets.push(normaliseFlagSet(doc.value));
  }
  return { flagSets, errors };
}

/** Validates a FlagSet given as plain data (a JSON body, a stored document). */
export function validateFlagSet(value: unknown, source?: string): { flagSet?: FlagSet; errors: SpecError[] } {
  const result = validateData(flagSetSchema, value, source);
  return result.value === undefined ? { errors: result.errors } : { flagSet: normaliseFlagSet(result.value), errors: [] };
}

/**
 * Fills in every default. The result is itself valid input and normalising it
 * again changes nothing, so stored and served definitions round-trip.
 */
export function normaliseFlagSet(input: FlagSetInput): FlagSet {
  const flags = Object.entries(input.spec.flags).map(([key, f]): [string, FlagDefinition] => {
    const firstVariant = Object.values(f.variants)[0];
    const def: FlagDefinition = {
      ...(f.description !== undefined ? { description: f.description } : {}),
      type: f.type ?? flagTypeOf(firstVariant),
      variants: f.variants,
      enabled: f.enabled,
      defaultVariant: f.defaultVariant,
      offVariant: f.offVariant ?? f.defaultVariant,
      rules: f.rules.map((r, i) => ({
        name: r.name ?? `rule-${i + 1}`,
        conditions: r.conditions,
        ...(r.split !== undefined ? { split: r.split } : { serve: r.serve }),
      })),
      ...(f.split !== undefined ? { split: f.split } : {}),
      salt: f.salt ?? key,
      bucketBy: f.bucketBy,
    };
    return [key, def];
  });
  return {
    apiVersion: input.apiVersion,
    kind: 'FlagSet',
    metadata: { name: input.metadata.name, environment: input.metadata.environment, ...(input.metadata.labels ? { labels: input.metadata.labels } : {}) },
    spec: { segments: input.spec.segments, flags: Object.fromEntries(flags) },
  };
}

/** JSON Schema (draft 2020-12) of the FlagSet document, for editors. */
export function flagSetJsonSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sluice.dev/schemas/v1alpha1/flagset.json',
    title: 'Sluice FlagSet',
    ...flagSetSchema.toJsonSchema(),
  };
}
