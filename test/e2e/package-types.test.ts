import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './harness.js';

/**
 * A TypeScript user of the built package: a project in a temp directory whose
 * node_modules/sluice is this repository (as `npm install` of it would give),
 * compiled by tsc against dist/ and the package.json `exports`.
 */

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

function consumer(files: Record<string, string>): string {
  const dir = tempDir('sluice-consumer-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules/sluice'), 'dir');
  // The peer dependency and Node's types, as the user's project has them.
  symlinkSync(join(ROOT, 'node_modules/@openfeature'), join(dir, 'node_modules/@openfeature'), 'dir');
  symlinkSync(join(ROOT, 'node_modules/@types'), join(dir, 'node_modules/@types'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
      include: ['*.ts'],
    }),
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function tsc(dir: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { cwd: dir });
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the published type declarations', () => {
  it('type-check a TypeScript user of sluice/openfeature, and catch a wrong option', async () => {
    const dir = consumer({
      'app.ts': `import { OpenFeature } from '@openfeature/server-sdk';
import { SluiceProvider, ProviderConfigError, TRACK_REQUEST, type SluiceProviderOptions } from 'sluice/openfeature';

const options: SluiceProviderOptions = { url: 'http://127.0.0.1:7070', clientKey: 'sluice_ck_example', flushIntervalMs: 1000 };
const provider = new SluiceProvider(options);
OpenFeature.setProvider(provider);
const revision: number | undefined = provider.revision;
provider.record({ targetingKey: 'user-1' }, { error: false, latencyMs: 12 });
const name: string = TRACK_REQUEST;
export const checks = [revision, name, new ProviderConfigError('x') instanceof Error];
`,
      'wrong.ts': `import { SluiceProvider } from 'sluice/openfeature';
export const provider = new SluiceProvider({ url: 7070 });
`,
    });
    const { code, output } = await tsc(dir);
    // The only error is the deliberate one: the options are typed, not `any`.
    expect(code, output).not.toBe(0);
    const errors = output.split('\n').filter((l) => l.includes('error TS'));
    expect(errors, output).toHaveLength(1);
    expect(errors[0]).toMatch(/^wrong\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });
});
