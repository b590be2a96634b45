import { describe, expect, it } from 'vitest';
import { expandShorthand, shorthandWeights } from './rollout-normalise.js';

describe('Flagger shorthand', () => {
  it.each([
    [{ stepWeight: 10 }, [10, 20, 30, 40, 50]],
    [{ stepWeight: 10, maxWeight: 30 }, [10, 20, 30]],
    [{ stepWeight: 20, maxWeight: 50 }, [20, 40, 50]],
    [{ stepWeight: 30, maxWeight: 100 }, [30, 60, 90, 100]],
    [{ stepWeight: 50, maxWeight: 50 }, [50]],
    [{ stepWeight: 1, maxWeight: 3 }, [1, 2, 3]],
    [{ stepWeights: [1, 5, 10, 25, 50] }, [1, 5, 10, 25, 50]],
    [{ stepWeights: [5, 10], maxWeight: 80 }, [5, 10]],
  ])('%j → weights %j', (canary, weights) => {
    expect(shorthandWeights(canary)).toEqual(weights);
  });

  it('expands each weight into setWeight followed by a pause of the interval', () => {
    expect(expandShorthand({ interval: 60_000, stepWeight: 25, maxWeight: 50 })).toEqual([
      { setWeight: 25 },
      { pause: { duration: 60_000 } },
      { setWeight: 50 },
      { pause: { duration: 60_000 } },
    ]);
  });
});
