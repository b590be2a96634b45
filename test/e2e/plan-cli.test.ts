import { describe, expect, it } from 'vitest';
import { runCli, writeTemp } from './harness.js';

const PLAN = ['plan', '-f', 'examples/canary-steps.yaml', '--rps', '200', '--error-rate', '0.5%'];

describe('sluice plan (the real CLI)', () => {
  it('prints the steps, the simulation side by side with Flagger and Argo, and the warnings', async () => {
    const r = await runCli([...PLAN, '--compare', 'flagger,argo']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Plan for rollout "checkout" at 200 rps and 0\.5% errors: detect a 2× regression \(1% errors\) with 95% power$/m);
    // One row per weight of the file: 10, 25, 50 and 75%.
    for (const weight of ['10%', '25%', '50%', '75%']) expect(out).toMatch(new RegExp(`^  \\d(–\\d)? +${weight} `, 'm'));
    expect(out).toMatch(/^ +checkout {2}Flagger default {4}Argo default$/m);
    expect(out).toContain('Simulated rollouts (1,000 per case, seed 1,');
    expect(out).toMatch(/^ {4}wrongly rolled back +\d+(\.\d)?% +0% +\d+(\.\d)?%$/m);
    expect(out).toMatch(/^Warnings\n {2}- steps 1–2 \(10%\): too short: detecting a 2× regression with 95% power needs ~\S+ at this weight/m);
  });

  it('prints one JSON object with -o json, the same for the same seed', async () => {
    const args = [...PLAN, '--compare', 'argo', '--runs', '200', '--seed', '9', '-o', 'json'];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect(a.code).toBe(0);
    const report = JSON.parse(a.stdout);
    const again = JSON.parse(b.stdout);
    delete report.simulation.seconds;
    delete again.simulation.seconds;
    expect(report).toEqual(again);
    expect(report.rollout).toBe('checkout');
    expect(report.inputs).toEqual({ rps: 200, errorRate: 0.005, regression: 2, power: 0.95, runs: 200, seed: 9, compare: ['argo'] });
    expect(report.stages.map((s: { weight: number }) => s.weight)).toEqual([10, 25, 50, 75]);
    expect(report.simulation.policies.map((p: { policy: string }) => p.policy)).toEqual(['file', 'argo']);
    expect(report.simulation.policies[1].regressed.rollbackRate).toBeGreaterThan(0.9);
    expect(report.warnings.length).toBeGreaterThan(0);
  });

  it.each([
    [['--error-rate', '150%'], 'sluice: --error-rate must be a percentage from 0 to 100, such as 0.5%; got "150%"\n'],
    [['--compare', 'spinnaker'], 'sluice: --compare takes flagger, argo or both (flagger,argo); got "spinnaker"\n'],
    [['--error-rate', '50%', '--regression', '3x'], 'sluice: a 3× regression of a 50% error rate exceeds 100%; plan a smaller regression\n'],
  ])('rejects %j with a sentence and exit 1', async (flags, message) => {
    const r = await runCli([...PLAN, ...flags]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(message);
    expect(r.stdout).toBe('');
  });

  it('plans mirror-success-rate as a rate judged on mirrored copies, not as a latency in ms', async () => {
    const r = await runCli(['plan', '-f', 'examples/sticky-canary.yaml', '--rps', '200', '--error-rate', '0.5%', '--runs', '100']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Analysis: threshold checks every 30s (mirror-success-rate ≥ 99%, mirror-latency-p99 ≤ 1.5× stable, failureLimit 1, minRequests 20)');
    expect(r.stdout).toMatch(/^ {2}- mirror-success-rate ≥ 99%: judged on the canary's answers to mirrored copies of stable's requests \(mirror\.percent 50: ~3,000 at 0% down to ~1,500 at 50% per 30s check\)/m);
    expect(r.stdout).toContain('  - mirror-latency-p99 ≤ 1.5× stable: taken to pass; the plan models errors, not latency');
    expect(r.stdout).not.toMatch(/99ms|no success-rate check|lengthen the steps/);
  });

  it.each([
    ['examples/ab-test.yaml', /^sluice: rollout "checkout-ab" is an A\/B test, and plan simulates weighted canary steps only: .*each check needs minRequests 50 matched requests per 30s/],
    ['examples/blue-green.yaml', /^sluice: rollout "checkout" is blue-green, and plan simulates weighted canary steps only: .*whose traffic is all its pre-promotion checks see/],
  ])('refuses %s with a sentence saying plan simulates weighted steps only, and exit 1', async (file, message) => {
    const r = await runCli(['plan', '-f', file, '--rps', '200', '--error-rate', '0.5%']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('add a setWeight step above 0');
  });

  it('reports an invalid rollout file as `sluice validate` does, with file:line:column', async () => {
    const file = writeTemp('bad.yaml', 'apiVersion: sluice.dev/v1alpha1\nkind: Rollout\nmetadata: {name: x}\nspec:\n  service: {listen: "127.0.0.1:8080"}\n');
    const [plan, validate] = await Promise.all([
      runCli(['plan', '-f', file, '--rps', '200', '--error-rate', '0.5%']),
      runCli(['validate', file]),
    ]);
    expect(plan.code).toBe(1);
    expect(validate.code).toBe(1);
    const errors = validate.stdout.split('\n').filter((l) => l.startsWith(file));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(plan.stderr).toContain(`  ${e}\n`);
    expect(plan.stderr).toMatch(new RegExp(`^sluice: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid:`));
  });
});
