import type { Command } from 'commander';
import type { TokenView } from '../server/auth-routes.js';
import { ROLES } from '../store/token-store.js';
import { tokenIdProblem } from '../server/auth-tokens.js';
import { CliError } from './client.js';
import { connect } from './config.js';

/** `sluice token create|list|revoke` (admin) and `sluice whoami`. */
export function registerTokenCommands(program: Command): void {
  const json = () => program.opts().output === 'json';
  const print = (s: string) => void process.stdout.write(s + '\n');

  const token = program.command('token').description('API tokens: create (shown once), list, revoke; needs an admin token');

  token
    .command('create')
    .description('create a token; its secret is printed once, on standard output')
    .requiredOption('--name <name>', 'who or what uses it; recorded as the actor of its writes')
    .requiredOption('--role <role>', `${ROLES.join(', ')}`)
    .action(async (opts: { name: string; role: string }) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}, got "${opts.role}"`);
      const res = await connect(program).createToken(opts.name, opts.role);
      if (json()) return print(JSON.stringify(res, null, 2));
      // The secret alone on stdout, so TOKEN=$(sluice token create …) works; the rest on stderr.
      print(res.secret);
      process.stderr.write(
        `sluice: token "${res.token.name}" (${res.token.role}, id ${res.token.id}) created. This is the only time it is shown: store it now.\n` +
          `        Use it with --token, SLUICE_TOKEN, or "token:" in ~/.config/sluice/config.yaml; revoke it with \`sluice token revoke ${res.token.id}\`.\n`,
      );
    });

  token
    .command('list')
    .description('every token with its role, creator, last use and whether it is revoked (never secrets)')
    .action(async () => {
      const { tokens } = await connect(program).listTokens();
      if (json()) return print(JSON.stringify({ tokens }, null, 2));
      print(tokenTable(tokens));
    });

  token
    .command('revoke')
    .description('revoke a token by id: it stops working at once')
    .argument('<id>', 'the id shown by `sluice token list`')
    .action(async (id: string) => {
      // Checked here too, so a pasted secret never travels in a URL to the server's logs.
      const problem = tokenIdProblem(id);
      if (problem) throw new CliError(problem, 1, 'SLUICE_BAD_TOKEN_ID');
      const res = await connect(program).revokeToken(id);
      if (json()) return print(JSON.stringify(res, null, 2));
      if (res.alreadyRevoked) {
        print(`token "${res.token.name}" (${res.token.id}) was already revoked on ${day(res.token.revokedAt)} by ${res.token.revokedBy}; nothing changed`);
      } else {
        print(`token "${res.token.name}" (${res.token.id}) revoked`);
      }
    });

  program
    .command('whoami')
    .description('the server, and the name and role of the token the CLI uses')
    .action(async () => {
      const client = connect(program);
      const me = await client.whoami();
      if (json()) return print(JSON.stringify({ server: client.baseUrl, ...me }, null, 2));
      print(`${me.name} (${me.role}, token ${me.id}) on ${client.baseUrl}`);
    });
}

function tokenTable(tokens: TokenView[]): string {
  const rows = [['ID', 'NAME', 'ROLE', 'STATUS', 'CREATED', 'BY', 'LAST USED']];
  for (const t of tokens) {
    rows.push([t.id, t.name, t.role, t.active ? 'active' : `revoked ${day(t.revokedAt)} by ${t.revokedBy}`, day(t.createdAt), t.createdBy, day(t.lastUsedAt)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function day(iso: string | undefined): string {
  return iso ? iso.slice(0, 16).replace('T', ' ') : '-';
}
