import { createPolicy } from '../src/analysis/simulate/policy.js';
import { createRng, seedOf } from '../src/analysis/simulate/prng.js';
import { simulateMany } from '../src/analysis/simulate/run.js';
import { summarise } from '../src/analysis/simulate/summary.js';
import { formatTable, formatTargets, toJson } from './detection-report.js';
import type { Results } from './detection-report.js';
import { POLICIES, SCENARIOS, TARGETS } from './detection-scenarios.js';
import { liveDetectionRun, type LiveResult } from './detection-live.js';

/**
 * npm run bench:detection [-- --json] [-- --runs N] [-- --seed S] [-- --only S1,S2] [-- --policies sluice,argo]
 * npm run bench:detection -- --live [--live-runs 5] [--json]
 *
 * Simulates issue 3's six scenarios (1,000 seeded runs each by default) under Sluice's
 * judge and the Flagger and Argo threshold policies, prints the table and Sluice's
 * targets; with --json, prints one JSON object last.
 */
async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  if (args.live) return live(args);
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

/**
 * --live: the real server and proxy, real upstreams (canary failing 5%, stable 0.5%),
 * ~200 rps of real load; the rollback time and failed canary responses counted by the
 * canary itself, next to what Sluice recorded. Target: median ≤ 15 failed responses.
 */
async function live(args: Args): Promise<void> {
  const results: LiveResult[] = [];
  console.log(`bench/detection --live: ${args.liveRuns} runs, 200 rps, stable 0.5% errors, canary 5%, judge alpha 0.01, Argo steps\n`);
  console.log('run  phase        rollback s  canary failed (upstream)  canary served  Sluice counted errors/requests  log BF / threshold');
  for (let i = 0; i < args.liveRuns; i++) {
    const r = await liveDetectionRun({ rps: 200, stableErrorRate: 0.005, canaryErrorRate: 0.05 });
    results.push(r);
    console.log(
      `${String(i + 1).padEnd(4)} ${r.phase.padEnd(12)} ${r.rollbackSeconds.toFixed(1).padStart(10)}  ${String(r.canaryFailedServed).padStart(24)}  ${String(r.canaryServed).padStart(13)}  ${`${r.sluiceCanaryErrors}/${r.sluiceCanaryRequests}`.padStart(30)}  ${r.statistic?.toFixed(2) ?? '–'} / ${r.threshold?.toFixed(2) ?? '–'}`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const summary = {
    runs: results.length,
    rolledBack: results.filter((r) => r.phase === 'rolled-back').length,
    failedCanaryMedian: median(results.map((r) => r.canaryFailedServed)),
    rollbackSecondsMedian: median(results.map((r) => r.rollbackSeconds)),
    sluiceCountedMedian: median(results.map((r) => r.sluiceCanaryErrors)),
    targetMet: false,
  };
  summary.targetMet = summary.rolledBack === results.length && summary.failedCanaryMedian <= 15;
  console.log(`\nmedian failed canary responses before all traffic was back on stable: ${summary.failedCanaryMedian} (target ≤ 15: ${summary.targetMet ? 'met' : 'NOT met'}); median rollback ${summary.rollbackSecondsMedian.toFixed(1)} s; Sluice counted ${summary.sluiceCountedMedian}`);
  if (args.json) console.log(JSON.stringify({ live: { ...summary, results } }));
}

interface Args {
  live: boolean;
  liveRuns: number;
  json: boolean;
  runs: number;
  seed: number;
  only?: string[];
  policies?: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { live: false, liveRuns: 5, json: false, runs: 1000, seed: 20240601 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--json') args.json = true;
    else if (a === '--live') args.live = true;
    else if (a === '--live-runs') args.liveRuns = positiveInt(a, value());
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
  console.error(`bench/detection: ${problem}\nusage: npm run bench:detection -- [--json] [--runs N] [--seed S] [--only S1,S2] [--policies sluice,argo] | --live [--live-runs N] [--json]`);
  process.exit(2);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
