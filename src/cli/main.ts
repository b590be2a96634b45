import { Command, Option } from 'commander';
import { CliError } from './client.js';
import { registerRolloutCommands } from './rollout-commands.js';
import { registerLocalCommands } from './local-commands.js';
import { registerTokenCommands } from './token-commands.js';
import { registerFlagsCommands } from './flags-commands.js';
import { registerPlanCommand } from './plan-command.js';

const program = new Command('sluice')
  .description('Progressive delivery that runs anywhere: canary rollouts judged on real traffic, promoted or rolled back automatically.')
  .version('0.1.0')
  // Resolved in config.ts: flag, then SLUICE_SERVER / SLUICE_TOKEN, then ~/.config/sluice/config.yaml.
  .addOption(new Option('--server <url>', 'control-plane URL (or SLUICE_SERVER, or server: in ~/.config/sluice/config.yaml; default http://127.0.0.1:7070)'))
  .addOption(new Option('--token <token>', 'API token (or SLUICE_TOKEN, or token: in ~/.config/sluice/config.yaml; on 127.0.0.1, .sluice/admin-token)'))
  .addOption(new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text'))
  .showHelpAfterError('(add --help to the command for its usage)')
  .addHelpText(
    'after',
    `
Getting started:
  sluice demo                      see a bad canary rolled back and a good one promoted (about a minute)
  sluice up                        start the control plane and the embedded proxy (API on 127.0.0.1:7070)
  sluice validate rollout.yaml     check a rollout file; every error with file:line:column
  sluice run -f rollout.yaml       apply and follow one rollout; exit 0 promoted, 2 rolled back, 3 aborted, 1 error
  sluice token create --role operator --name ci   a token for a pipeline (admin only; \`sluice up\` wrote the first admin token)`,
  );

registerLocalCommands(program);
registerPlanCommand(program);
registerRolloutCommands(program);
registerTokenCommands(program);
registerFlagsCommands(program);

// `sluice history x | head`: the reader went away; stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}

function reportError(err: unknown): number {
  const e = err as { code?: string; exitCode?: number };
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
    // commander already printed help, version or the usage error.
    return e.exitCode ?? 1;
  }
  if (err instanceof CliError) {
    if (program.opts().output === 'json') {
      process.stderr.write(JSON.stringify({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } }) + '\n');
      return err.exitCode;
    }
    process.stderr.write(`sluice: ${err.message.replace(/^sluice: /, '')}\n`);
    const errors = (err.details as { errors?: Array<{ file?: string; line?: number; column?: number; path: string; message: string }> } | undefined)?.errors;
    for (const d of errors ?? []) process.stderr.write(`  ${d.file ?? ''}${d.line ? `:${d.line}:${d.column}` : ''}: ${d.path}: ${d.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`sluice: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}
