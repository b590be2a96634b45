#!/usr/bin/env node
// Builds the dashboard into dist/web: compiles web/src (tsconfig.web.json) to
// dist/web/assets/js and copies web/static (index.html, CSS, icon) beside it.
// No bundler and no network: the browser loads the ES modules as compiled.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = root + 'dist/web';
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
if (!existsSync(root + 'web/static/index.html')) {
  console.error(`build-web: ${root}web/static/index.html is missing; the dashboard sources are incomplete`);
  process.exit(1);
}
// Start clean so files removed from web/ do not linger in what the server serves.
rmSync(out, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.web.json'], { cwd: root, stdio: 'inherit' });
} catch {
  console.error('build-web: the dashboard (web/src) does not compile; see the errors above');
  process.exit(1);
}
cpSync(root + 'web/static', out, { recursive: true });
