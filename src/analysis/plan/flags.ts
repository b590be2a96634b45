import { MAX_RUNS } from './plan.js';
import { COMPARED_POLICIES, PlanError } from './types.js';
import type { ComparedPolicy, PlanInputs } from './types.js';

/** `sluice plan` flags as the command line gives them: strings, absent when not given. */
export interface PlanFlags {
  rps?: string;
  errorRate?: string;
  regression?: string;
  power?: string;
  runs?: string;
  seed?: string;
  compare?: string;
}

export const PLAN_DEFAULTS = { regression: '2x', power: '0.95', runs: '1000', seed: '1' } as const;

const NUMBER = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*$/;

/**
 * Turns the flags into plan inputs; each bad flag is a PlanError (SLUICE_PLAN_FLAG) whose
 * message names the flag, shows what it got and gives an example of a good value.
 */
export function parsePlanFlags(flags: PlanFlags): PlanInputs {
  return {
    rps: parseRps(flags.rps),
    errorRate: parseErrorRate(flags.errorRate),
    regression: parseRegression(flags.regression ?? PLAN_DEFAULTS.regression),
    power: parsePower(flags.power ?? PLAN_DEFAULTS.power),
    runs: parseWhole('--runs', flags.runs ?? PLAN_DEFAULTS.runs, 1, MAX_RUNS, 'simulated rollouts per case, such as 1000'),
    seed: parseWhole('--seed', flags.seed ?? PLAN_DEFAULTS.seed, 0, 2 ** 32 - 1, 'the simulation seed, such as 42'),
    compare: parseCompare(flags.compare),
  };
}

function parseRps(raw: string | undefined): number {
  if (raw === undefined) bad('--rps is required: the total requests per second the service gets, such as --rps 200');
  const m = NUMBER.exec(raw);
  const value = m ? Number(m[1]) : NaN;
  if (!(value > 0)) bad(`--rps must be a number of requests per second above 0, such as 200; got "${raw}"`);
  return value;
}

function parseErrorRate(raw: string | undefined): number {
  const example = 'such as 0.5%';
  if (raw === undefined) bad(`--error-rate is required: the share of requests stable fails today, ${example}`);
  const trimmed = raw.trim();
  if (!trimmed.endsWith('%')) {
    const hint = NUMBER.test(trimmed) ? ` (a bare ${trimmed} could mean ${trimmed}% or ${Number(trimmed) * 100}%)` : '';
    bad(`--error-rate must be a percentage from 0 to 100, ${example}${hint}; got "${raw}"`);
  }
  const m = NUMBER.exec(trimmed.slice(0, -1));
  const value = m ? Number(m[1]) : NaN;
  if (!(value >= 0 && value <= 100)) bad(`--error-rate must be a percentage from 0 to 100, ${example}; got "${raw}"`);
  if (value === 0) {
    bad(`--error-rate must be above 0%: with no errors there is nothing to compare; give the rate stable shows today, ${example} or 0.01%`);
  }
  return value / 100;
}

function parseRegression(raw: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*[x×]?\s*$/i.exec(raw);
  const value = m ? Number(m[1]) : NaN;
  if (!(value > 1)) bad(`--regression must be a factor above 1, such as 2x (the canary fails twice as often as stable); got "${raw}"`);
  return value;
}

function parsePower(raw: string): number {
  const trimmed = raw.trim();
  const percent = trimmed.endsWith('%');
  const m = NUMBER.exec(percent ? trimmed.slice(0, -1) : trimmed);
  const value = m ? Number(m[1]) / (percent ? 100 : 1) : NaN;
  if (!(value > 0 && value < 1)) bad(`--power must be a probability between 0 and 1, such as 0.95 or 95%; got "${raw}"`);
  return value;
}

function parseWhole(flag: string, raw: string, min: number, max: number, what: string): number {
  const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!(Number.isSafeInteger(value) && value >= min && value <= max)) {
    bad(`${flag} must be a whole number from ${min} to ${max}: ${what}; got "${raw}"`);
  }
  return value;
}

function parseCompare(raw: string | undefined): ComparedPolicy[] {
  if (raw === undefined) return [];
  const names = raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const known = new Set<string>(COMPARED_POLICIES);
  const unknown = names.filter((n) => !known.has(n));
  if (names.length === 0 || unknown.length > 0) {
    bad(`--compare takes ${COMPARED_POLICIES.join(', ')} or both (${COMPARED_POLICIES.join(',')}); got "${raw}"`);
  }
  return [...new Set(names)] as ComparedPolicy[];
}

function bad(message: string): never {
  throw new PlanError('SLUICE_PLAN_FLAG', message);
}
