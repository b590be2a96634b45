import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMixedDocuments } from './flagset-kind.js';
import { formatSpecError } from './spec-error.js';

const flags = readFileSync(new URL('../../examples/flags/checkout.yaml', import.meta.url), 'utf8');
const rollout = readFileSync(new URL('../../examples/canary-steps.yaml', import.meta.url), 'utf8');

describe('parseMixedDocuments', () => {
  it('reads FlagSets and Rollouts from one stream, each with its own format', () => {
    const { rollouts, flagSets, errors } = parseMixedDocuments(`${rollout}\n---\n${flags}`, 'both.yaml');
    expect(errors).toEqual([]);
    expect(rollouts).toHaveLength(1);
    expect(flagSets.map((f) => f.metadata.name)).toEqual(['checkout']);
  });

  it('places errors of either kind at their line in the original file', () => {
    const bad = `${rollout.replace(/setWeight: \d+/, 'setWeight: 150')}\n---\n${flags.replace('defaultVariant: off', 'defaultVariant: of')}`;
    const { errors } = parseMixedDocuments(bad, 'both.yaml');
    const lines = bad.split('\n');
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(lines[e.line! - 1], formatSpecError(e)).toContain(e.path.split('.').pop()!.replace(/\[\d+\]$/, ''));
    expect(errors.map((e) => e.path)).toEqual([expect.stringMatching(/setWeight$/), 'spec.flags.new-checkout.defaultVariant']);
  });

  it('treats a stream without FlagSets exactly as Rollouts', () => {
    expect(parseMixedDocuments('kind: Nope\n', 'x.yaml').errors.map(formatSpecError)).toContain('x.yaml:1:7: kind: must be "Rollout", got "Nope"');
  });
});
