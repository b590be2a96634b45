import { rolloutSchema } from './rollout-schema.js';
import type { JsonSchema } from './schema.js';
import { serverConfigSchema } from './server-config.js';

/**
 * JSON Schemas (draft 2020-12) of the YAML formats, for editors such as
 * yaml-language-server. Generated from the same definitions the validator
 * uses, so they accept the same fields; rules that span fields in ways JSON
 * Schema cannot express (e.g. min ≤ max) are enforced by the validator only.
 */

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** JSON Schema of the Rollout document as users write it (durations as text or seconds, the shorthand, …). */
export function rolloutJsonSchema(): JsonSchema {
  return { $schema: DIALECT, $id: 'https://sluice.dev/schemas/v1alpha1/rollout.json', title: 'Sluice Rollout', ...rolloutSchema.toJsonSchema() };
}

/** JSON Schema of the ServerConfig document read by `sluice up --config`. */
export function serverConfigJsonSchema(): JsonSchema {
  return { $schema: DIALECT, $id: 'https://sluice.dev/schemas/v1alpha1/server-config.json', title: 'Sluice ServerConfig', ...serverConfigSchema.toJsonSchema() };
}
