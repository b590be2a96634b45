import { describe, expect, it } from 'vitest';
import { editDistance, suggestName } from './suggest.js';

describe('suggestName', () => {
  const fields = ['interval', 'failureLimit', 'inconclusiveLimit', 'minRequests', 'metrics'];
  it.each([
    ['intervall', 'interval'],
    ['Interval', 'interval'],
    ['failurelimit', 'failureLimit'],
    ['minRequest', 'minRequests'],
    ['metircs', 'metrics'],
    ['inconclusivLimit', 'inconclusiveLimit'],
    ['duration', undefined],
    ['x', undefined],
  ])('%s → %s', (input, expected) => {
    expect(suggestName(input, fields)).toBe(expected);
  });

  it('counts a swap of neighbouring letters as one edit', () => {
    expect(editDistance('maxWieght', 'maxWeight')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
