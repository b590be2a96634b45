#!/usr/bin/env node
// Builds the dashboard into dist/web: compiles web/src (tsconfig.web.json) to
// dist/web/assets/js and copies web/static (index.html, CSS, icon) beside it.
// No bundler and no network: the browser loads the ES modules as compiled.
//
// Several test runs may build while servers serve dist/web, so the build goes
// to a private staging directory first and each file is then published with an
// atomic rename: a reader sees the old file or the new one, never a gap.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, cpSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist/web');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
if (!existsSync(join(root, 'web/static/index.html'))) {
  console.error(`build-web: ${join(root, 'web/static/index.html')} is missing; the dashboard sources are incomplete`);
  process.exit(1);
}

const files = (dir) => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))) : []);

mkdirSync(join(root, 'dist'), { recursive: true });
const stage = mkdtempSync(join(root, 'dist/.web-build-'));
try {
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.web.json', '--outDir', join(stage, 'assets/js')], { cwd: root, stdio: 'inherit' });
  } catch {
    console.error('build-web: the dashboard (web/src) does not compile; see the errors above');
    process.exit(1);
  }
  cpSync(join(root, 'web/static'), stage, { recursive: true });
  const built = files(stage);
  for (const rel of built) {
    const target = join(out, rel);
    const next = readFileSync(join(stage, rel));
    if (existsSync(target) && readFileSync(target).equals(next)) continue;
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.tmp`;
    copyFileSync(join(stage, rel), tmp);
    renameSync(tmp, target);
  }
  // Files whose source is gone are removed; temp files may belong to a concurrent build (and are never served).
  const keep = new Set(built);
  for (const rel of files(out)) if (!keep.has(rel) && !/\.\d+\.tmp$/.test(rel)) rmSync(join(out, rel), { force: true });
} finally {
  rmSync(stage, { recursive: true, force: true });
}
