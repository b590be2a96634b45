import { createPolicy } from '../src/analysis/simulate/policy.js';
import { createRng, seedOf } from '../src/analysis/simulate/prng.js';
import { simulateMany } from '../src/analysis/simulate/run.js';
import { summarise } from '../src/analysis/simulate/summary.js';
import { formatTable, formatTargets, toJson } from './detection-report.js';
import type { Results } from './detection-report.js';
import { POLICIES, SCENARIOS, TARGETS } from './detection-scenarios.js';

/**
 * npm run bench:detection [-- --json] [-- --runs N] [-- --seed S] [-- --only S1,S2] [-- --policies sluice,argo]
 *
 * Simulates issue 3's six scenarios (1,000 seeded runs each by default) under Sluice's
 * judge and the Flagger and Argo threshold policies, prints the table and Sluice's
 * targets; with --json, prints one JSON object last.
 */
function main(argv: readonly string[]): void {
  const args = parseArgs(argv);
  const started = performance.now();
  const results: Results = {};
  const scenarios = SCENARIOS.filter((s) => args.only === undefined || args.only.includes(s.name));
  const policies = POLICIES.filter((p) => args.policies === undefined || args.policies.includes(p.name ?? p.type));
  scenarios.forEach((scenario, si) => {
    results[scenario.name] = {};
    policies.forEach((options, pi) => {
      const policy = createPolicy(options);
      const runs = simulateMany(scenario, policy, args.runs, (r) => createRng(seedOf(args.seed, si, pi, r)));
      results[scenario.name][policy.name] = summarise(runs);
    });
  });
  const seconds = (performance.now() - started) / 1000;
  const titles = Object.fromEntries(SCENARIOS.map((s) => [s.name, s.title]));
  console.log(`bench/detection: ${args.runs} seeded runs per scenario and policy (seed ${args.seed}), ${seconds.toFixed(1)} s\n`);
  console.log(formatTable(results, titles));
  if (policies.some((p) => p.type === 'sluice')) {
    const targets = formatTargets(results, TARGETS.filter((t) => results[t.scenario] !== undefined), 'sluice');
    console.log(`Sluice targets (issue 3): ${targets.allMet ? 'all met' : 'NOT all met'}\n${targets.text}\n`);
  }
  if (args.json) console.log(JSON.stringify(toJson(results)));
}

interface Args {
  json: boolean;
  runs: number;
  seed: number;
  only?: string[];
  policies?: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { json: false, runs: 1000, seed: 20240601 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--json') args.json = true;
    else if (a === '--runs') args.runs = positiveInt(a, value());
    else if (a === '--seed') args.seed = positiveInt(a, value());
    else if (a === '--only') args.only = value().split(',');
    else if (a === '--policies') args.policies = value().split(',');
    else usage(`unknown argument ${a}`);
  }
  return args;
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) usage(`${flag} must be a whole number ≥ 1, got ${v}`);
  return n;
}

function usage(problem: string): never {
  console.error(`bench/detection: ${problem}\nusage: npm run bench:detection -- [--json] [--runs N] [--seed S] [--only S1,S2] [--policies sluice,argo]`);
  process.exit(2);
}

main(process.argv.slice(2));
