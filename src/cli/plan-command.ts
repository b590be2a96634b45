import type { Command } from 'commander';
import { parsePlanFlags, planRollout, PlanError, PLAN_DEFAULTS, renderPlan } from '../analysis/plan/index.js';
import type { PlanFlags } from '../analysis/plan/index.js';
import { formatSpecError, parseRolloutDocuments } from '../spec/index.js';
import { CliError } from './client.js';
import { readSource } from './local-commands.js';

/** `sluice plan`: needs no server; reads the rollout file, plans it at the given traffic, prints tables or one JSON object. */
export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('how long each step must last to catch a regression at your traffic, what it exposes, and a seeded simulation (no server needed)')
    .requiredOption('-f, --file <file>', 'rollout YAML with one Rollout document ("-" reads standard input)')
    .option('--rps <n>', 'total requests per second the service gets, such as 200')
    .option('--error-rate <percent>', "stable's error rate today, such as 0.5%")
    .option('--regression <factor>', 'the regression to detect: the canary fails this many times as often', PLAN_DEFAULTS.regression)
    .option('--power <p>', 'wanted chance of detecting it within a step', PLAN_DEFAULTS.power)
    .option('--runs <n>', 'simulated rollouts per case and policy', PLAN_DEFAULTS.runs)
    .option('--seed <n>', 'simulation seed; the same seed gives the same figures', PLAN_DEFAULTS.seed)
    .option('--compare <policies>', "simulate Flagger's and/or Argo's default policy side by side: flagger,argo")
    .addHelpText('after', `
Example:
  sluice plan -f rollout.yaml --rps 200 --error-rate 0.5% --compare flagger,argo
  (add -o json for one JSON object; docs/plan.md explains every figure)`)
    .action((opts: PlanFlags & { file: string }) => {
      const inputs = wrap(() => parsePlanFlags(opts));
      const source = opts.file === '-' ? 'stdin' : opts.file;
      const { rollouts, errors } = parseRolloutDocuments(readSource(opts.file), source);
      if (errors.length > 0) {
        throw new CliError(`${source} is not valid:\n${errors.map((e) => '  ' + formatSpecError(e)).join('\n')}`, 1, 'SLUICE_INVALID_SPEC');
      }
      if (rollouts.length !== 1) {
        throw new CliError(`${source} holds ${rollouts.length} rollouts; \`sluice plan\` plans exactly one (split the file)`, 1, 'SLUICE_PLAN_ROLLOUT');
      }
      const report = wrap(() => planRollout(rollouts[0], inputs));
      const json = program.opts().output === 'json';
      process.stdout.write((json ? JSON.stringify(report, null, 2) : renderPlan(report)) + '\n');
    });
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PlanError) throw new CliError(err.message, 1, err.code, undefined, { cause: err });
    throw err;
  }
}
