import { describe, expect, it } from 'vitest';
import { parsePlanFlags } from './flags.js';
import type { PlanFlags } from './flags.js';

const BASE: PlanFlags = { rps: '200', errorRate: '0.5%' };

describe('parsePlanFlags', () => {
  it('reads the flags with their defaults', () => {
    expect(parsePlanFlags(BASE)).toEqual({ rps: 200, errorRate: 0.005, regression: 2, power: 0.95, runs: 1000, seed: 1, compare: [] });
    expect(parsePlanFlags({ ...BASE, regression: '1.5×', power: '99%', runs: '50', seed: '42', compare: 'argo, flagger,argo' })).toMatchObject({
      regression: 1.5,
      power: 0.99,
      runs: 50,
      seed: 42,
      compare: ['argo', 'flagger'],
    });
    expect(parsePlanFlags({ ...BASE, errorRate: '100%', regression: '3' }).errorRate).toBe(1);
  });

  it.each([
    [{ rps: undefined }, '--rps is required: the total requests per second the service gets, such as --rps 200'],
    [{ rps: 'lots' }, '--rps must be a number of requests per second above 0, such as 200; got "lots"'],
    [{ errorRate: '150%' }, '--error-rate must be a percentage from 0 to 100, such as 0.5%; got "150%"'],
    [{ errorRate: '0.5' }, '--error-rate must be a percentage from 0 to 100, such as 0.5% (a bare 0.5 could mean 0.5% or 50%); got "0.5"'],
    [{ errorRate: '0%' }, /^--error-rate must be above 0%/],
    [{ errorRate: undefined }, /^--error-rate is required/],
    [{ regression: '1x' }, '--regression must be a factor above 1, such as 2x (the canary fails twice as often as stable); got "1x"'],
    [{ power: '1.2' }, '--power must be a probability between 0 and 1, such as 0.95 or 95%; got "1.2"'],
    [{ runs: '2.5' }, '--runs must be a whole number from 1 to 100000: simulated rollouts per case, such as 1000; got "2.5"'],
    [{ compare: 'kayenta' }, '--compare takes flagger, argo or both (flagger,argo); got "kayenta"'],
  ])('rejects %o', (change, message) => {
    expect(() => parsePlanFlags({ ...BASE, ...change })).toThrow(message);
  });
});
