import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatSpecError, rolloutJsonSchema } from '../spec/index.js';
import type { SpecError } from '../spec/index.js';
import { parseMixedDocuments } from '../spec/flagset-kind.js';
import { flagSetJsonSchema } from '../spec/flagset-parse.js';
import { CliError } from './client.js';
import { runUp } from './up.js';
import { runDemo } from './demo.js';
import { startSampleService } from '../demo/sample-service.js';

/** Commands that need no running server: validate, schema, up, demo. */
export function registerLocalCommands(program: Command): void {
  program
    .command('validate')
    .description('check Rollout and FlagSet files; reports every error at once with file:line:column, exit 1 if any')
    .argument('<files...>', 'YAML files ("-" reads standard input)')
    .action((files: string[]) => {
      const json = program.opts().output === 'json';
      const results = files.map((file) => {
        const { rollouts, flagSets, errors } = parseMixedDocuments(readSource(file), file === '-' ? 'stdin' : file);
        return { file, rollouts: rollouts.map((r) => r.metadata.name), flagSets: flagSets.map((f) => `${f.metadata.environment}/${f.metadata.name}`), errors };
      });
      const errors: SpecError[] = results.flatMap((r) => r.errors);
      if (json) process.stdout.write(JSON.stringify({ valid: errors.length === 0, files: results }, null, 2) + '\n');
      else {
        for (const r of results) {
          if (r.errors.length === 0) process.stdout.write(`${r.file}: ok (${[...r.rollouts.map((n) => `rollout "${n}"`), ...r.flagSets.map((n) => `flag set "${n}"`)].join(', ') || 'no documents'})\n`);
          for (const e of r.errors) process.stdout.write(formatSpecError(e) + '\n');
        }
        if (errors.length) process.stdout.write(`${errors.length} error${errors.length === 1 ? '' : 's'} in ${results.filter((r) => r.errors.length).length} file(s)\n`);
      }
      if (errors.length) process.exitCode = 1;
    });

  program
    .command('schema')
    .description('print the JSON Schema of Rollout (or, with --kind FlagSet, FlagSet) files, for editors: yaml-language-server, VS Code')
    .option('--kind <kind>', 'Rollout or FlagSet', 'Rollout')
    .action((opts: { kind: string }) => {
      if (opts.kind !== 'Rollout' && opts.kind !== 'FlagSet') throw new CliError(`--kind must be Rollout or FlagSet, got "${opts.kind}"`);
      process.stdout.write(JSON.stringify(opts.kind === 'FlagSet' ? flagSetJsonSchema() : rolloutJsonSchema(), null, 2) + '\n');
    });

  program
    .command('up')
    .description('run the control plane: HTTP API, controller and the embedded proxy listeners')
    .option('--api <host:port>', 'where the API listens (default 127.0.0.1:7070)')
    .option('--data-dir <dir>', 'where state is kept (default .sluice)')
    .option('--config <file>', 'a ServerConfig YAML file; flags override it')
    .option('--log-level <level>', 'debug, info, warn or error (default info)')
    .option('--proxy-workers <n>', 'processes carrying proxy traffic (default 1: this one; more share each listener and merge their counters)')
    .option('--public-url <url>', 'the base URL people reach the API at, for approve links in notifications (default: $SLUICE_PUBLIC_URL, else the API address)')
    .action(async (opts: { api?: string; dataDir?: string; config?: string; logLevel?: string; proxyWorkers?: string; publicUrl?: string }) => {
      await runUp(opts);
    });

  program
    .command('sample-service')
    .description('run the small HTTP service the demo uses, with an optional fault (for trying rollouts by hand)')
    .option('--port <port>', 'port on 127.0.0.1 (0: any free one)', '0')
    .option('--label <version>', 'version label returned in responses', 'v1')
    .option('--error-rate <share>', 'share of requests answered 503, 0–1', '0')
    .option('--delay <ms>', 'added latency in ms', '0')
    .action(async (opts: { port: string; label: string; errorRate: string; delay: string }) => {
      const port = Number(opts.port);
      const errorRate = Number(opts.errorRate);
      const delayMs = Number(opts.delay);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be an integer from 0 to 65535, got "${opts.port}"`);
      if (!(errorRate >= 0 && errorRate <= 1)) throw new CliError(`--error-rate must be a share from 0 to 1 (0.05 = 5%), got "${opts.errorRate}"`);
      if (!(delayMs >= 0)) throw new CliError(`--delay must be a number of milliseconds ≥ 0, got "${opts.delay}"`);
      const svc = await startSampleService({ version: opts.label, errorRate, delayMs, jitterMs: delayMs / 4, port });
      process.stderr.write(`sample service ${opts.label} on ${svc.url} (errors ${errorRate * 100}%, +${delayMs} ms); Ctrl-C stops it\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await svc.close();
    });

  program
    .command('demo')
    .description('start a server, three sample service versions (v1 stable, v2 faulty, v3 healthy) and load; roll back v2, then promote v3')
    .option('--keep', 'keep the temporary state directory')
    .action(async (opts: { keep?: boolean }) => {
      process.exitCode = await runDemo({ keep: opts.keep === true });
    });
}

/** Reads a file or standard input, with an error that names the file. */
export function readSource(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new CliError(`cannot read ${file}: ${why}`, 1, 'SLUICE_READ_FAILED', undefined, { cause: err });
  }
}
