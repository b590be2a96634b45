/** The YAML formats of Sluice: Rollout and ServerConfig parsing, validation, defaults and JSON Schemas. */
export { DURATION_ERROR_CODE, DurationError, formatDuration, parseDuration, tryParseDuration, type DurationResult } from './duration.js';
export { rolloutJsonSchema, serverConfigJsonSchema } from './json-schema.js';
export { parseRolloutDocuments, validateRollout } from './parse-rollout.js';
export { DEFAULT_MAX_WEIGHT, expandShorthand, shorthandWeights } from './rollout-normalise.js';
export type { JsonSchema } from './schema.js';
export { DEFAULT_SERVER_CONFIG, LOG_LEVELS, parseServerConfig, type LogLevel, type ServerConfig } from './server-config.js';
export { formatSpecError, type SpecError } from './spec-error.js';
export * from './types.js';
