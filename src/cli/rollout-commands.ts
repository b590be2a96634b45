import type { Command } from 'commander';
import { formatSpecError, parseRolloutDocuments, tryParseDuration } from '../spec/index.js';
import type { RolloutView } from '../server/views.js';
import { ApiClient, CliError, type ApplyResult } from './client.js';
import { connect } from './config.js';
import { follow } from './follow.js';
import { readSource } from './local-commands.js';
import { eventLine, outputMode, rolloutTable, statusBlock } from './render.js';

/** Exit codes of `sluice run`, for pipelines. */
export const RUN_EXIT = { promoted: 0, error: 1, 'rolled-back': 2, aborted: 3 } as const;

/** Commands that talk to the control-plane API. */
export function registerRolloutCommands(program: Command): void {
  const client = () => connect(program);
  const mode = () => outputMode(program.opts().output as string);
  const print = (text: string): void => {
    process.stdout.write(text + '\n');
  };
  const printJson = (v: unknown) => print(JSON.stringify(v, null, 2));

  program
    .command('apply')
    .description('start a rollout (or a new revision of a finished one) from a file; validated locally first')
    .requiredOption('-f, --file <file>', 'rollout YAML ("-" reads standard input)')
    .action(async (opts: { file: string }) => {
      const results = await applyFile(client(), opts.file);
      if (mode() === 'json') return printJson({ results });
      for (const r of results) print(`rollout "${r.name}" ${r.outcome} (revision ${r.rollout.revision}, ${r.rollout.phase}): ${r.rollout.message}`);
    });

  program
    .command('get')
    .description('list resources: `sluice get rollouts`')
    .argument('<kind>', 'rollouts')
    .action(async (kind: string) => {
      if (!['rollouts', 'rollout', 'ro'].includes(kind)) throw new CliError(`unknown kind "${kind}"; try \`sluice get rollouts\``);
      const { rollouts } = await client().list();
      if (mode() === 'json') return printJson({ rollouts });
      print(rollouts.length ? rolloutTable(rollouts) : 'no rollouts yet; start one with `sluice apply -f rollout.yaml`');
    });

  program
    .command('status')
    .description('show one rollout: step, weights, per-version traffic, the latest decision')
    .argument('<name>')
    .option('-w, --watch', 'follow it live until it finishes')
    .action(async (name: string, opts: { watch?: boolean }) => {
      const m = mode();
      if (opts.watch) return void (await follow(client(), name, { mode: m }));
      const view = await client().get(name);
      print(m === 'json' ? JSON.stringify(view, null, 2) : statusBlock(view, m === 'tty'));
    });

  const control = (verb: 'promote' | 'abort' | 'pause' | 'resume' | 'retry' | 'undo', description: string) =>
    program
      .command(verb)
      .description(description)
      .argument('<name>');
  control('promote', 'pass the current step or manual gate; --full promotes the canary at once')
    .option('--full', 'skip the remaining steps and analysis')
    .action(async (name: string, opts: { full?: boolean }) => report(await client().command(name, 'promote', { full: opts.full === true })));
  control('abort', 'send all traffic back to stable and stop the rollout')
    .option('--reason <text>', 'why, recorded in the history')
    .action(async (name: string, opts: { reason?: string }) => report(await client().command(name, 'abort', opts.reason ? { reason: opts.reason } : {})));
  control('pause', 'hold the rollout at its current step (analysis keeps running)').action(async (name: string) => report(await client().command(name, 'pause')));
  control('resume', 'continue a rollout paused by `sluice pause` or by inconclusive checks (a manual gate needs `sluice promote`)').action(async (name: string) => report(await client().command(name, 'resume')));
  control('retry', 'start a rolled-back or aborted rollout again from its first step').action(async (name: string) => report(await client().command(name, 'retry')));
  control('undo', 'within the undo window after promotion, send all traffic back to the previous stable')
    .option('--reason <text>', 'why, recorded in the history')
    .action(async (name: string, opts: { reason?: string }) => report(await client().command(name, 'undo', opts.reason ? { reason: opts.reason } : {})));

  program
    .command('delete')
    .description('forget a rollout and close its proxy listener; `sluice history NAME` still shows its events')
    .argument('<name>')
    .action(async (name: string) => {
      const res = await client().remove(name);
      if (mode() === 'json') return printJson(res);
      print(`rollout "${name}" deleted`);
    });

  program
    .command('history')
    .description('every decision of a rollout with the numbers behind it, oldest first')
    .argument('<name>')
    .action(async (name: string) => {
      const { events } = await client().events(name, 0, 100000);
      if (mode() === 'json') return printJson({ events });
      for (const e of events) print(`rev ${e.revision} ${new Date(e.time).toISOString().slice(0, 10)} ${eventLine(e)}`);
    });

  program
    .command('run')
    .description('for pipelines: apply, follow live, exit 0 when promoted, 2 when rolled back, 3 when aborted, 1 on error')
    .requiredOption('-f, --file <file>', 'rollout YAML with one Rollout document')
    .option('--timeout <duration>', 'give up following after this long (e.g. 30m), exit 1; the rollout goes on')
    .action(async (opts: { file: string; timeout?: string }) => {
      const c = client();
      const timeoutMs = opts.timeout === undefined ? undefined : durationFlag('--timeout', opts.timeout);
      const results = await applyFile(c, opts.file, true);
      const [r] = results as [ApplyResult];
      if (mode() !== 'json') print(`rollout "${r.name}" ${r.outcome} (revision ${r.rollout.revision})${r.outcome === 'unchanged' ? ': this document was already applied; following its current state (`sluice retry` runs it again)' : ''}`);
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      process.once('SIGINT', onSignal);
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => ac.abort(), timeoutMs);
      const final = await follow(c, r.name, { mode: mode(), signal: ac.signal });
      process.off('SIGINT', onSignal);
      clearTimeout(timer);
      if (ac.signal.aborted) {
        const why = timeoutMs !== undefined && !['promoted', 'rolled-back', 'aborted'].includes(final.phase) ? `timed out after ${opts.timeout} with the rollout ${final.phase}` : 'stopped following';
        throw new CliError(`${why}; rollout "${r.name}" goes on on the server (\`sluice status ${r.name} --watch\`)`, 1);
      }
      process.exitCode = exitFor(final);
      if (mode() !== 'json') print(`rollout "${r.name}" ${final.phase}: exit ${process.exitCode}`);
    });

  function report(view: RolloutView): void {
    if (mode() === 'json') return printJson(view);
    print(`rollout "${view.name}" is ${view.phase}: ${view.message}`);
  }
}

export function exitFor(view: RolloutView): number {
  return view.phase in RUN_EXIT ? RUN_EXIT[view.phase as keyof typeof RUN_EXIT] : RUN_EXIT.error;
}

function durationFlag(flag: string, value: string): number {
  const parsed = tryParseDuration(value);
  if (!parsed.ok) throw new CliError(`${flag}: ${parsed.message}`);
  return parsed.value;
}

/** Validates locally (errors with file:line:column), then sends the file to the server. */
async function applyFile(client: ApiClient, file: string, exactlyOne = false): Promise<ApplyResult[]> {
  const source = file === '-' ? 'stdin' : file;
  const text = readSource(file);
  const { rollouts, errors } = parseRolloutDocuments(text, source);
  if (errors.length && /^kind:\s*FlagSet\s*$/m.test(text) && !/^kind:\s*Rollout\s*$/m.test(text)) {
    throw new CliError(`${source} holds a FlagSet, not a Rollout: apply it with \`sluice flags apply -f ${file}\``, 1, 'SLUICE_WRONG_KIND');
  }
  if (errors.length) {
    throw new CliError(`${source} is not valid:\n${errors.map((e) => '  ' + formatSpecError(e)).join('\n')}`, 1, 'SLUICE_INVALID_SPEC');
  }
  if (!rollouts.length) throw new CliError(`${source} holds no Rollout document`);
  if (exactlyOne && rollouts.length !== 1) throw new CliError(`${source} holds ${rollouts.length} rollouts; \`sluice run\` follows exactly one`);
  const { results } = await client.applyYaml(text, source);
  for (const r of results) for (const w of r.warnings ?? []) process.stderr.write(`sluice: warning: rollout "${r.name}": ${w}\n`);
  return results;
}
