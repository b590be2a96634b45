import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log/logger.js';
import { startControlPlane } from '../src/server/control-plane.js';
import { validateFlagSet } from '../src/spec/flagset-parse.js';
import { BENCH_FLAGSET } from './flags-subjects.js';

/**
 * The control plane for the streaming and OFREP parts of bench:flags, in a
 * process of its own so load generators and subscribers do not share its
 * event loop. Prints one JSON line {url, clientKey, operatorToken} when
 * ready; closes on SIGTERM or when stdin ends.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-flags-'));
const plane = await startControlPlane({ api: '127.0.0.1:0', dataDir, logger: silentLogger, tickMs: 3_600_000 });
const { flagSet, errors } = validateFlagSet(BENCH_FLAGSET, 'bench flag set');
if (!flagSet) throw new Error(`the bench FlagSet is invalid: ${JSON.stringify(errors)}`);
plane.flags.apply([flagSet], 'bench');
const { secret } = plane.flags.createClientKey('bench', 'bench', 'bench');
const tokenFile = join(dataDir, 'admin-token');
const operatorToken = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined;
process.stdout.write(JSON.stringify({ url: plane.url, clientKey: secret, operatorToken }) + '\n');

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await plane.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void close());
process.stdin.on('end', () => void close());
process.stdin.resume();
