import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { splitText } from '../flags/describe-change.js';
import { evaluate } from '../flags/evaluate.js';
import { importFlagd } from '../flags/flagd-import.js';
import { ruleText, servingText } from '../flags/words.js';
import type { FlagPatch } from '../flags/patch.js';
import type { FlagView } from '../flags/service.js';
import type { FlagLock } from '../flags/rollout-lock.js';
import type { FlagSummary } from '../server/flags-routes.js';
import { parseFlagSetDocuments } from '../spec/flagset-parse.js';
import { CliError } from './client.js';
import { FlagsClient } from './flags-client.js';
import { readSource } from './local-commands.js';
import { suggestName } from '../spec/suggest.js';

/** `sluice flags …`: apply, get, set, history, import, eval and client keys. */
export function registerFlagsCommands(program: Command): void {
  const json = () => program.opts().output === 'json';
  const print = (s: string) => void process.stdout.write(s + '\n');
  const client = () => FlagsClient.connect(program);
  const envOption = '-e, --environment <env>';
  const envHelp = 'environment (or SLUICE_ENVIRONMENT); may be left out when the flag exists in one environment only';

  const flags = program.command('flags').description('feature flags: apply FlagSets, inspect and change flags, history, client keys, flagd import');

  flags
    .command('apply')
    .description('apply FlagSet documents from a file (validated locally first); each replaces the set of that name')
    .requiredOption('-f, --file <file>', 'FlagSet YAML ("-" reads standard input)')
    .action(async (opts: { file: string }) => {
      const source = opts.file === '-' ? 'stdin' : opts.file;
      const text = readSource(opts.file);
      const { errors } = parseFlagSetDocuments(text, source);
      if (errors.length && /^kind:\s*Rollout\s*$/m.test(text) && !/^kind:\s*FlagSet\s*$/m.test(text)) {
        throw new CliError(`${source} holds a Rollout, not a FlagSet: apply it with \`sluice apply -f ${opts.file}\``, 1, 'SLUICE_WRONG_KIND');
      }
      if (errors.length) throw new CliError(`${errors.length} error(s) in ${source}; nothing was applied`, 1, 'SLUICE_INVALID_SPEC', { errors });
      const { results } = await client().apply(text, source);
      if (json()) return print(JSON.stringify({ results }, null, 2));
      for (const r of results) {
        print(`flag set "${r.name}" (${r.environment}) ${r.outcome}${r.changes.length ? `: ${r.changes.length} flag change${r.changes.length === 1 ? '' : 's'}` : ''}`);
        for (const c of r.changes) print(`  ${c.message}`);
        for (const w of r.warnings ?? []) process.stderr.write(`sluice: warning: ${w}\n`);
      }
    });

  flags
    .command('get')
    .description('list flags, or show one flag in full')
    .argument('[key]', 'a flag key')
    .option(envOption, 'only this environment (or SLUICE_ENVIRONMENT)')
    .action(async (key: string | undefined, opts: { environment?: string }) => {
      const environment = opts.environment || process.env.SLUICE_ENVIRONMENT || undefined;
      if (key === undefined) {
        const { flags: list } = await client().list({ environment });
        if (json()) return print(JSON.stringify({ flags: list }, null, 2));
        return print(list.length ? flagTable(list) : 'no flags yet; apply a FlagSet with `sluice flags apply -f flags.yaml`');
      }
      const env = await resolveEnvironment(client(), key, environment);
      const view = await client().get(env, key);
      print(json() ? JSON.stringify(view, null, 2) : flagBlock(view));
    });

  flags
    .command('set')
    .description('change one flag: --on/--off, --variant V (everyone no rule matches), --variant V --percent P (a split; raising P only adds users)')
    .argument('<key>', 'the flag key')
    .option(envOption, envHelp)
    .option('--on', 'switch the flag on')
    .option('--off', 'switch the flag off (everyone gets its off variant)')
    .option('--variant <variant>', 'the variant to serve')
    .option('--percent <percent>', 'share of users (0–100, steps of 0.001) who get --variant; the rest get the default variant')
    .action(async (key: string, opts: { environment?: string; on?: boolean; off?: boolean; variant?: string; percent?: string }) => {
      if (opts.on && opts.off) throw new CliError('--on and --off contradict each other; give one');
      const patch: FlagPatch = {};
      if (opts.on) patch.enabled = true;
      if (opts.off) patch.enabled = false;
      if (opts.variant !== undefined) patch.variant = opts.variant;
      if (opts.percent !== undefined) {
        // Plain decimals only ("12.5", "12.5%"): Number() would also take "0x10" or "1e1".
        const text = opts.percent.trim().replace(/%$/, '');
        const p = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
        if (!(p >= 0 && p <= 100)) throw new CliError(`--percent must be a number from 0 to 100 such as 10 or 2.5, got "${opts.percent}"`);
        patch.percent = p;
      }
      if (Object.keys(patch).length === 0) throw new CliError('nothing to change: give --on, --off, --variant and/or --percent');
      const c = client();
      const env = await resolveEnvironment(c, key, opts.environment || process.env.SLUICE_ENVIRONMENT || undefined);
      const res = await c.set(env, key, patch);
      if (json()) return print(JSON.stringify(res, null, 2));
      print(res.changed ? (res.event?.message ?? `flag "${key}" updated`) : `flag "${key}" unchanged (already so)`);
      print(`  now: ${serving(res.flag)}`);
    });

  flags
    .command('history')
    .description('every change to a flag, oldest first, with who made it')
    .argument('<key>', 'the flag key')
    .option(envOption, envHelp)
    .action(async (key: string, opts: { environment?: string }) => {
      const c = client();
      const env = await resolveEnvironment(c, key, opts.environment || process.env.SLUICE_ENVIRONMENT || undefined, true);
      const { events } = await c.history(env, key);
      if (json()) return print(JSON.stringify({ events }, null, 2));
      if (!events.length) return print(`no history for "${key}" in ${env}`);
      for (const e of events) print(`${new Date(e.time).toISOString()}  ${e.actor.padEnd(16)}  ${e.message}`);
    });

  flags
    .command('import')
    .description('convert flagd flag-definition JSON to a FlagSet; reports what cannot be represented (to stderr)')
    .argument('<file>', 'flagd JSON ("-" reads standard input)')
    .requiredOption(envOption, 'the environment of the new FlagSet')
    .option('--name <name>', 'the FlagSet name', 'imported')
    .option('--out <file>', 'write the YAML here instead of standard output')
    .option('--apply', 'apply the FlagSet to the server instead of printing it')
    .option('--strict', 'exit 1 (and write or apply nothing) when anything was not imported or would behave differently')
    .action(async (file: string, opts: { environment: string; name: string; out?: string; apply?: boolean; strict?: boolean }) => {
      const { flagSet, notes } = importFlagd(readSource(file), { name: opts.name, environment: opts.environment });
      for (const n of notes) process.stderr.write(`sluice: ${n.kind === 'dropped' ? 'not imported' : 'differs'}: ${n.flag !== undefined ? `flag "${n.flag}": ` : ''}${n.message}\n`);
      const dropped = notes.filter((n) => n.kind === 'dropped').length;
      if (!flagSet) throw new CliError(`nothing could be imported from ${file}`, 1, 'SLUICE_IMPORT_FAILED');
      process.stderr.write(`sluice: ${Object.keys(flagSet.spec.flags).length} flag(s) converted; ${dropped} item(s) not imported, ${notes.length - dropped} behave differently (see above)\n`);
      if (opts.strict && notes.length > 0) throw new CliError(`--strict: ${dropped} item(s) not imported and ${notes.length - dropped} that would behave differently; nothing was written or applied`, 1, 'SLUICE_IMPORT_LOSSY');
      const yaml = `# Imported from flagd definitions in ${file} by \`sluice flags import\`.\n${stringify(flagSet, { lineWidth: 0 })}`;
      if (opts.apply) {
        const { results } = await client().apply(yaml, file);
        for (const r of results) print(`flag set "${r.name}" (${r.environment}) ${r.outcome}`);
        for (const w of results.flatMap((r) => r.warnings ?? [])) process.stderr.write(`sluice: warning: ${w}\n`);
      } else if (opts.out) {
        writeFileSync(opts.out, yaml);
        process.stderr.write(`sluice: wrote ${opts.out}; apply it with \`sluice flags apply -f ${opts.out}\`\n`);
      } else {
        process.stdout.write(yaml);
      }
    });

  flags
    .command('eval')
    .description('evaluate a flag from a local FlagSet file for a context (no server): value, variant and reason')
    .argument('<key>', 'the flag key')
    .requiredOption('-f, --file <file>', 'FlagSet YAML')
    .option('--context <json>', 'the evaluation context as JSON, e.g. \'{"targetingKey":"user-1","country":"NZ"}\'', '{}')
    .action((key: string, opts: { file: string; context: string }) => {
      const { flagSets, errors } = parseFlagSetDocuments(readSource(opts.file), opts.file);
      if (errors.length) throw new CliError(`${errors.length} error(s) in ${opts.file}`, 1, 'SLUICE_INVALID_SPEC', { errors });
      let context: unknown;
      try {
        context = JSON.parse(opts.context);
      } catch (err) {
        throw new CliError(`--context is not JSON (${(err as Error).message}); e.g. --context '{"targetingKey":"user-1"}'`, 1, 'SLUICE_BAD_CONTEXT', undefined, { cause: err });
      }
      const result = evaluate(flagSets, key, context as Record<string, unknown>);
      print(JSON.stringify(result, null, json() ? 2 : undefined));
      if (result.errorCode) process.exitCode = 1;
    });

  const keys = flags.command('keys').description('client (SDK) keys: read-only, one environment each; the secret is shown once');

  keys
    .command('create')
    .description('create a client key; its secret is printed once, alone on standard output')
    .requiredOption(envOption, 'the environment it may read')
    .option('--name <name>', 'what uses it, e.g. "checkout web app"')
    .action(async (opts: { environment: string; name?: string }) => {
      const res = await client().createKey(opts.environment, opts.name);
      if (json()) return print(JSON.stringify(res, null, 2));
      print(res.secret);
      process.stderr.write(
        `sluice: client key ${res.key.id} ("${res.key.name}") for environment "${res.key.environment}" created. This is the only time it is shown: store it now.\n` +
          '        SDKs send it as X-API-Key (OFREP) or Authorization: Bearer; revoke it with `sluice flags keys revoke ' + res.key.id + '`.\n',
      );
    });

  keys
    .command('list')
    .description('client keys with their environment, creator and state (never secrets)')
    .option(envOption, 'only this environment')
    .action(async (opts: { environment?: string }) => {
      const { keys: list } = await client().listKeys(opts.environment);
      if (json()) return print(JSON.stringify({ keys: list }, null, 2));
      if (!list.length) return print('no client keys; create one with `sluice flags keys create --environment production`');
      const rows = list.map((k) => [k.id, k.environment, k.name, `${k.hint}…`, k.createdBy, new Date(k.createdAt).toISOString(), k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'active']);
      print(table(['ID', 'ENVIRONMENT', 'NAME', 'STARTS', 'CREATED BY', 'CREATED', 'STATE'], rows));
    });

  keys
    .command('revoke')
    .description('revoke a client key: SDKs using it are refused from now on')
    .argument('<id>', 'the key id (see `sluice flags keys list`)')
    .action(async (id: string) => {
      const { key } = await client().revokeKey(id);
      if (json()) return print(JSON.stringify({ key }, null, 2));
      print(`client key ${key.id} ("${key.name}", ${key.environment}) revoked`);
    });
}

/** The environment to act in: the one given, else the only one that has the flag. */
async function resolveEnvironment(client: FlagsClient, key: string, given: string | undefined, allowMissing = false): Promise<string> {
  if (given) return given;
  const envs = [...new Set((await client.list({ key })).flags.map((f) => f.environment))];
  if (envs.length === 1) return envs[0];
  if (envs.length === 0) {
    if (allowMissing) throw new CliError(`no flag "${key}" exists now; give --environment to see the history of a deleted flag`);
    const near = suggestName(key, [...new Set((await client.list({})).flags.map((f) => f.key))]);
    throw new CliError(`no flag "${key}" in any environment${near ? ` (did you mean "${near}"?)` : ''}; \`sluice flags get\` lists the flags`, 1, 'SLUICE_FLAG_NOT_FOUND');
  }
  throw new CliError(`flag "${key}" exists in ${envs.join(', ')}; say which with --environment`, 1, 'SLUICE_FLAG_AMBIGUOUS');
}

function serving(f: FlagView): string {
  const d = f.definition;
  if (!d.enabled) return `off — everyone gets "${d.offVariant}"`;
  const rules = d.rules.length ? `${d.rules.length} rule${d.rules.length === 1 ? '' : 's'}, then ` : '';
  return d.split ? `on — ${rules}split ${splitText(d.split)}, rest "${d.defaultVariant}"` : `on — ${rules}"${d.defaultVariant}"`;
}

function flagTable(list: FlagSummary[]): string {
  const rows = list.map((f) => [
    f.environment,
    f.key,
    f.enabled ? 'on' : 'off',
    servingText(f),
    String(f.rules),
    f.flagSet,
    f.updatedBy,
    new Date(f.updatedAt).toISOString().replace(/\.\d+Z$/, 'Z'),
    f.drivenBy ? `${f.drivenBy.rollout} (step ${f.drivenBy.step}/${f.drivenBy.steps}, ${f.drivenBy.share}%)` : '–',
  ]);
  return table(['ENVIRONMENT', 'KEY', 'STATE', 'SERVING', 'RULES', 'FLAGSET', 'CHANGED BY', 'CHANGED', 'GUARDED ROLLOUT'], rows);
}

function flagBlock(f: FlagView): string {
  const d = f.definition;
  const lines = [
    `flag ${f.key} (${f.environment}, flag set ${f.flagSet}, ${d.type})`,
    ...(d.description ? [`  ${d.description}`] : []),
    `  state:     ${serving(f)}`,
    `  variants:  ${Object.entries(d.variants).map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(', ')}`,
    `  bucketing: by ${d.bucketBy}, salt "${d.salt}"`,
    ...d.rules.map((r, i) => `  rule ${i + 1} ${r.name}: ${ruleText(r, d.defaultVariant)}`),
    `  changed:   ${new Date(f.updatedAt).toISOString()} by ${f.updatedBy} (version ${f.version})`,
    ...(f.drivenBy ? [`  guarded:   ${drivenText(f.drivenBy, d.enabled)}`] : []),
  ];
  return lines.join('\n');
}

function drivenText(l: FlagLock, enabled: boolean): string {
  const off = enabled ? '' : `; switched off by hand, so it serves 0% and the rollout holds until \`sluice flags set ${l.key} --on\` or \`sluice abort ${l.rollout}\``;
  return `rollout ${l.rollout} (${l.phase}, step ${l.step} of ${l.steps}) sets "${l.variant}" to ${l.share}% of users; only it changes the split (pause, abort or promote it to take over)${off}`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

