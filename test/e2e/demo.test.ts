import { describe, expect, it } from 'vitest';
import { runCli } from './harness.js';

/**
 * The README's first command: `sluice demo` rolls a faulty canary back and
 * promotes a healthy one. (Its duration — under two minutes — is a figure to
 * measure standalone, not to assert beside the rest of the suite.)
 */
describe('sluice demo', () => {
  it('rolls back the faulty v2 by analysis, promotes the healthy v3, and exits 0', async () => {
    const r = await runCli(['demo'], { timeoutMs: 150_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[rolled-back\] rolled back by the sequential judge/);
    expect(r.stdout).toMatch(/→ rolled-back\. The canary answered \d+ requests/);
    expect(r.stdout).toMatch(/→ promoted\. v3 is the new stable/);
  }, 160_000);
});
