import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown when another live `sluice up` owns the data directory. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  readonly code = 'SLUICE_DATA_DIR_LOCKED';
}

/**
 * One control plane per data directory: a pid file, taken over when its owner
 * is gone (a crashed or SIGKILLed process leaves it behind).
 */
export function acquireDataDirLock(dataDir: string): { release(): void } {
  const file = join(dataDir, 'sluice.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return {
        release: () => {
          if (readPid(file) === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readPid(file);
      if (owner !== undefined && owner !== process.pid && alive(owner)) {
        throw new DataDirLockedError(`another sluice (pid ${owner}) is running on ${dataDir}; stop it or use a different --data-dir`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new DataDirLockedError(`could not lock ${dataDir} (${file}); remove the file if no sluice is running`);
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
