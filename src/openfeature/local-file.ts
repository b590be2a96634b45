import { readFileSync } from 'node:fs';
import { parseFlagSetDocuments, validateFlagSet } from '../spec/flagset-parse.js';
import { formatSpecError } from '../spec/spec-error.js';
import type { FlagSet } from '../spec/flagset-types.js';
import { parseDefinitions, type Definitions } from './definitions-source.js';
import { ProviderConfigError } from './errors.js';

/**
 * Definitions from a local file, for starting offline: either a saved
 * response of GET /sdk/v1/flags (JSON) or FlagSet YAML documents as
 * `sluice flags apply` takes them. Validated like the server validates them.
 */
export function loadDefinitionsFile(file: string, environment?: string): Definitions {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ProviderConfigError(`cannot read the flag definitions file ${file}: ${(err as Error).message}; check the provider's \`file\` option`, { cause: err });
  }
  let flagSets: FlagSet[];
  let revision = 0;
  if (text.trimStart().startsWith('{')) {
    let defs: Definitions;
    try {
      defs = parseDefinitions(text);
    } catch (err) {
      throw new ProviderConfigError(`${file} is not a saved response of GET /sdk/v1/flags: ${(err as Error).message}`, { cause: err });
    }
    revision = defs.revision;
    flagSets = defs.flagSets.map((s, i) => {
      const { flagSet, errors } = validateFlagSet(s, `${file} flagSets[${i}]`);
      if (!flagSet) throw new ProviderConfigError(`${file}: ${errors.map(formatSpecError).join('; ')}`);
      return flagSet;
    });
  } else {
    const parsed = parseFlagSetDocuments(text, file);
    if (parsed.errors.length > 0) throw new ProviderConfigError(parsed.errors.map(formatSpecError).join('\n'));
    flagSets = parsed.flagSets;
  }
  const environments = [...new Set(flagSets.map((s) => s.metadata.environment))];
  if (environment !== undefined) {
    flagSets = flagSets.filter((s) => s.metadata.environment === environment);
    if (flagSets.length === 0) throw new ProviderConfigError(`${file} has no flag sets for environment "${environment}"; it has ${environments.join(', ') || 'none'}`);
  } else if (environments.length > 1) {
    throw new ProviderConfigError(`${file} holds flag sets of several environments (${environments.join(', ')}); say which with the provider's \`environment\` option`);
  }
  return { environment: environment ?? environments[0] ?? '', revision, flagSets };
}
