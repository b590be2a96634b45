import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** End-to-end tests spawn the real CLI from dist/, so build it once before any test runs. */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [root + 'node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  // `sluice up` serves the dashboard from dist/web; the browser tests load it.
  execFileSync(process.execPath, [root + 'scripts/build-web.mjs'], { cwd: root, stdio: 'inherit' });
}
