import { FlagError } from './errors.js';

/** For tests: the FlagError `fn` throws; anything else (another error, or none) fails the test. */
export function flagErrorOf(fn: () => unknown): FlagError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlagError) return err;
    throw new Error(`expected a FlagError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a FlagError, but nothing was thrown');
}
